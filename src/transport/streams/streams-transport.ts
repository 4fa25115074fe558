// The ADR's "future consideration", delivered: the same JSON as Pub/Sub in field `data` of a Redis
// stream read by one consumer group. At-least-once: an entry is acknowledged only once its handler
// settled it, a dead subscriber's entries are taken over when their lease lapses, failures are
// retried and, after maxDeliveries, moved to the dead-letter stream (guarantee 6).
//
// Publishing and the non-blocking commands share the connection it is given (and never close: its
// opener does); the consumer reads on a connection of its own, opened by consume() and closed by
// the consumer's stop, because XREADGROUP BLOCK would hold up every command queued behind it.
//
// Priorities: jobs a user triggered (diary_saved, manual) are published to the urgent stream
// (keys.urgentStream), which a second consumer of this process reads with slots of its own, so
// they are taken before the schedule jobs waiting in the main stream. Entries XADDed to the main
// stream by other tools are processed as before.
import type { Logger } from '../../logger.js';
import { coalesce } from '../../coalesce.js';
import { isUserTriggered, toWire, type JobMessage } from '../../messages.js';
import { isCluster } from '../cluster-connection.js';
import { keysOfPartition, urgentLane, type Keys } from '../keys.js';
import { closeRedis, connectRedis, type RedisConn } from '../redis-connection.js';
import { partitionedStreamOps } from './partitioned-ops.js';
import type { ConsumeOptions, Consumer, DeliveryHandler, Transport } from '../transport.js';
import { systemClock } from '../../clock.js';
import { createStreamsJanitor } from './janitor.js';
import { addEntry, detectFeatures, ensureGroup, errorMessage } from './stream-commands.js';
import { throttledWarn } from './throttled-warn.js';
import { startStreamsConsumer, type StreamsConsumer } from './streams-consumer.js';
import { redisStreamOps } from './stream-ops.js';

export interface StreamsTransportOptions {
  /** Shared connection: publishing, acks, leases (and the caller's claims and limiter). */
  client: RedisConn;
  /** For the consumer's own blocking-read connection. */
  redisUrl: string;
  /** Opens the reader's own connection. @defaultValue a client of redisUrl */
  connect?: (role: string) => Promise<RedisConn>;
  keys: Keys;
  logger: Logger;
  /** Unique and stable for the process's lifetime: host-pid-starttime. */
  consumerName: string;
  /** JOB_LEASE: an entry not renewed for this long is taken over by another subscriber. */
  leaseMs: number;
  /** MAX_DELIVERIES: deliveries before an entry is dead-lettered. */
  maxDeliveries: number;
  /** Trimming of acknowledged entries starts beyond this length. @defaultValue 100_000 */
  maxLen?: number;
  /** How long one XREADGROUP blocks waiting for entries. @defaultValue 2000 */
  blockMs?: number;
  /** Lease renewal period. @defaultValue leaseMs / 3 */
  renewEveryMs?: number;
  /** Period of the recoverer's XAUTOCLAIM. @defaultValue leaseMs / 2 */
  recoverEveryMs?: number;
  /** Period of metrics, trimming and consumer reaping. @defaultValue 5000 */
  maintenanceEveryMs?: number;
  /** Consumers with nothing pending and idle this long are removed. @defaultValue 10 × leaseMs */
  consumerIdleMs?: number;
  /** Cluster: how long a publish waits for a replica to acknowledge its entry. @defaultValue 1000 */
  replicaAckMs?: number;
}

/** A publish whose entry no replica acknowledged in time: it may be lost in a failover. */
export class ReplicaAckError extends Error {
  override readonly name = 'ReplicaAckError';
}

/** Slots of the urgent stream's consumer: a share of SUBSCRIBER_MAX_CONCURRENT_JOBS, at least 1. */
export function urgentConcurrency(concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / 4));
}

export function createStreamsTransport(options: StreamsTransportOptions): Transport {
  const { client, keys, logger } = options;
  const connect = options.connect ?? ((role: string) => connectRedis({ url: options.redisUrl, role, logger }));
  const cluster = isCluster(client);
  const replicaAckMs = options.replicaAckMs ?? 1000;
  const urgentKeys: Keys = urgentLane(keys);
  let group: Promise<void> | undefined;
  let consumer: StreamsConsumer | undefined;
  // Publishes of one turn to one partition share one WAIT (it covers every earlier write of the
  // connection, which node-redis keeps one per master).
  const waits = new Map<string, (stream: string) => Promise<unknown>>();
  const replicaAck = (stream: string) => {
    let wait = waits.get(stream);
    if (!wait) {
      wait = coalesce(async (streams: readonly string[]) => {
        const acked = cluster ? Number(await client.sendFor(stream, ['WAIT', '1', String(replicaAckMs)])) : 1;
        if (!(acked >= 1)) throw new ReplicaAckError(`no replica acknowledged the job within ${replicaAckMs} ms; it may be lost if its master fails now`);
        return streams.map(() => undefined);
      });
      waits.set(stream, wait);
    }
    return wait(stream);
  };

  // Once per connection: after a reconnect Redis may have restarted without its data.
  const groupReady = () =>
    (group ??= Promise.all([keys, urgentKeys].flatMap((lane) => lane.partitions.map((p) => ensureGroup(client, keysOfPartition(lane, p)))))
      .then(() => undefined)
      .catch((err: unknown) => {
        group = undefined;
        throw err;
      }));
  const onReconnect = () => {
    group = undefined;
  };
  client.on('ready', onReconnect);

  return {
    async publish(message: JobMessage) {
      await groupReady();
      const lane = isUserTriggered(message) ? urgentKeys : keys;
      const partition = lane.partitionOf(message.user_id);
      await addEntry(client, keysOfPartition(lane, partition), toWire(message));
      if (cluster) await replicaAck(partition.stream);
    },
    isReady: () => client.isReady && (consumer === undefined || consumer.ready()),
    async consume(handler: DeliveryHandler, opts: ConsumeOptions): Promise<Consumer> {
      if (consumer) throw new Error('this streams transport is already consuming (one consumer name per process)');
      const readers: RedisConn[] = [];
      const parts: StreamsConsumer[] = [];
      try {
        // A Redis that refuses writes now (OOM under maxmemory, a replica not yet promoted) must
        // not stop a subscriber from starting: each part's reader meets NOGROUP and recreates the
        // group, retrying with backoff, once Redis takes writes again.
        await groupReady().catch((err: unknown) =>
          logger.warn({ err: errorMessage(err) }, 'could not create the consumer group yet; the readers retry'),
        );
        const features = await detectFeatures(client);
        const { leaseMs } = options;
        const start = async (k: Keys, concurrency: number, urgent: boolean): Promise<StreamsConsumer> => {
          // A cluster's partitions are read without blocking, on the shared connection (partitioned-ops.ts).
          const reader = cluster ? undefined : await connect(urgent ? 'urgent-stream-reader' : 'stream-reader');
          if (reader) readers.push(reader);
          const blockMs = options.blockMs ?? 2000;
          const ops = k.partitioned
            ? partitionedStreamOps({ client, reader, keys: k, consumer: options.consumerName, features, blockMs })
            : redisStreamOps({ client, reader: reader as RedisConn, keys: k, consumer: options.consumerName, features, blockMs });
          const janitor = createStreamsJanitor({
            client,
            keys: k,
            logger,
            clock: systemClock,
            warn: throttledWarn(logger),
            consumerName: options.consumerName,
            maxLen: options.maxLen ?? 100_000,
            consumerIdleMs: options.consumerIdleMs ?? 10 * leaseMs,
            everyMs: options.maintenanceEveryMs ?? 5000,
            metrics: !urgent,
          });
          const part = startStreamsConsumer(handler, { ...opts, concurrency }, {
            ops,
            janitor,
            logger: urgent ? logger.child({ stream: k.stream }) : logger,
            leaseMs,
            maxDeliveries: options.maxDeliveries,
            renewEveryMs: options.renewEveryMs ?? Math.max(10, Math.floor(leaseMs / 3)),
            recoverEveryMs: options.recoverEveryMs ?? Math.max(10, Math.floor(leaseMs / 2)),
          });
          parts.push(part);
          return part;
        };
        const main = await start(keys, opts.concurrency, false);
        const urgent = await start(urgentKeys, urgentConcurrency(opts.concurrency), true);
        const started: StreamsConsumer = {
          ready: () => main.ready() && urgent.ready(),
          inFlight: () => main.inFlight() + urgent.inFlight(),
          stop: async (graceMs) => {
            await Promise.all([main.stop(graceMs), urgent.stop(graceMs)]);
          },
        };
        consumer = started;
        logger.info({ consumer: options.consumerName, group: keys.group, stream: keys.stream, urgent: urgentKeys.stream, partitions: keys.partitions.length, features }, 'consuming the job stream');
        return {
          inFlight: () => started.inFlight(),
          async stop(graceMs: number) {
            await started.stop(graceMs);
            await Promise.all(readers.map((r) => closeRedis(r)));
            if (consumer === started) consumer = undefined;
          },
        };
      } catch (err) {
        await Promise.all(parts.map((p) => p.stop(0)));
        await Promise.all(readers.map((r) => closeRedis(r)));
        throw err;
      }
    },
    async close() {
      client.off('ready', onReconnect);
    },
  };
}
