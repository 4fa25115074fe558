// Everything one subscriber asks of the job stream, bound to its connections, its keys and its
// consumer name: the consumer's parts see only this, so unit tests give them an in-memory stream
// (test/helpers/fake-stream.ts) and a simulated clock.
import type { Keys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import {
  ackAndDelete,
  ackEntries,
  autoClaim,
  claimOwn,
  deadLetter,
  ensureGroup,
  ownPendingIds,
  readNew,
  renewLeases,
  type AutoClaimResult,
  type DeadLetterInput,
  type OwnClaim,
  type StreamEntry,
  type StreamFeatures,
} from './stream-commands.js';

export interface StreamOps {
  /** The consumer name entries are delivered to. */
  readonly consumer: string;
  /** Up to `count` never-delivered entries, waiting at most the read block time (reader connection). */
  readNew(count: number): Promise<StreamEntry[]>;
  /** Asks Redis to end a blocked readNew now (CLIENT UNBLOCK). */
  unblockRead(): void;
  /** Drops the reader's connection: a blocked readNew rejects at once. */
  abortRead(): void;
  /** The reader's connection is up. */
  readerReady(): boolean;
  /** Ids pending for this consumer, oldest first. */
  ownPending(count: number): Promise<string[]>;
  /** Takes this consumer's own pending entries back (bumping their delivery counts). */
  claimOwn(ids: readonly string[]): Promise<OwnClaim[]>;
  /** Renews the leases of `ids`; answers the ids no longer this consumer's. */
  renewLeases(ids: readonly string[]): Promise<string[]>;
  /** Takes over entries idle longer than `minIdleMs`. */
  autoClaim(minIdleMs: number, cursor: string, count: number): Promise<AutoClaimResult>;
  ack(ids: readonly string[]): Promise<void>;
  /**
   * Acknowledges `ids` and, right behind it on the same connection, reads up to `count` new
   * entries without blocking: the next entries come back in the acknowledgement's round trip.
   * The two outcomes are separate: a lost read reply may still have delivered entries (pending
   * under this name). Absent where there is no such connection (then acks go alone).
   */
  ackAndRead?(ids: readonly string[], count: number): { acked: Promise<void>; read: Promise<StreamEntry[]> };
  /** Acknowledges and deletes entries that must never be delivered again (malformed). */
  drop(ids: readonly string[]): Promise<void>;
  /** Moves an entry this consumer owns to the dead letters; false when it is no longer ours. */
  deadLetter(input: DeadLetterInput): Promise<boolean>;
  /** Creates the group again (Redis lost its data). */
  ensureGroup(): Promise<void>;
}

export interface RedisStreamOpsOptions {
  /** Every non-blocking command. */
  client: RedisConn;
  /** The blocking XREADGROUP's own connection. */
  reader: RedisConn;
  keys: Keys;
  consumer: string;
  features: StreamFeatures;
  blockMs: number;
}

export function redisStreamOps(options: RedisStreamOpsOptions): StreamOps {
  const { client, reader, keys, consumer, blockMs } = options;
  let features = options.features;
  let readerId: string | undefined;
  return {
    consumer,
    async readNew(count) {
      try {
        readerId ??= String(await reader.sendCommand(['CLIENT', 'ID']));
        return await readNew(reader, keys, consumer, count, blockMs);
      } catch (err) {
        readerId = undefined; // a new connection gets a new id
        throw err;
      }
    },
    unblockRead() {
      if (readerId) client.sendCommand(['CLIENT', 'UNBLOCK', readerId]).catch(() => {});
    },
    abortRead: () => reader.destroy(),
    readerReady: () => reader.isReady,
    ownPending: (count) => ownPendingIds(client, keys, consumer, count),
    claimOwn: (ids) => claimOwn(client, keys, consumer, ids),
    renewLeases: (ids) => renewLeases(client, keys, consumer, ids),
    autoClaim: (minIdleMs, cursor, count) => autoClaim(client, keys, consumer, minIdleMs, cursor, count),
    async ack(ids) {
      features = await ackEntries(client, keys, ids, features);
    },
    ackAndRead(ids, count) {
      // Both commands are written in this turn, so node-redis sends them as one pipeline.
      const acked = (async () => {
        features = await ackEntries(client, keys, ids, features);
      })();
      return { acked, read: readNew(client, keys, consumer, count) };
    },
    drop: (ids) => ackAndDelete(client, keys, ids),
    deadLetter: (input) => deadLetter(client, keys, consumer, input),
    ensureGroup: () => ensureGroup(client, keys),
  };
}
