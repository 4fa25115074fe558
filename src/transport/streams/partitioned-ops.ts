// StreamOps over one stream per partition (QUEUE_PARTITIONS > 1, or a cluster), so the consumer's
// parts (lease book, reader, recoverer, settler, renewer) run unchanged: entry ids are qualified
// `<partition>/<id>` (two streams may hold the same id), and every call is split by partition,
// each part a command or script on that partition's stream alone.
//
// Reading. On one Redis a single XREADGROUP BLOCK names every partition's stream: one connection,
// woken by whichever partition gets an entry. A cluster refuses that (CROSSSLOT: the streams live
// in different slots, even on one node), and a blocking read per partition would need a connection
// per partition; so there each partition is read without blocking, all at once (node-redis
// pipelines the reads of one master on its one connection), and an empty round sleeps a little,
// longer while the queue stays empty. No partition ever waits for another.
import { sleep } from '../../clock.js';
import { keysOfPartition, type Keys, type PartitionKeys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { loadScript, runScript } from '../scripts.js';
import {
  ackAndDelete, ackEntries, asArray, asNumber, asString, autoClaim, claimOwn, ensureGroup, fieldMap,
  ownPendingIds, renewLeases, type StreamEntry, type StreamFeatures,
} from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';

const DROP_DEAD = loadScript('stream-drop-dead');

/** Idle poll of a cluster's partitions: from the first to the last value, doubling. */
const IDLE_MIN_MS = 10;
const IDLE_MAX_MS = 250;

export function qualify(partition: number, id: string): string {
  return `${partition}/${id}`;
}

/** The partition and stream id of a qualified id; partition 0 for a bare id. */
export function unqualify(id: string): { partition: number; id: string } {
  const slash = id.indexOf('/');
  return slash < 0 ? { partition: 0, id } : { partition: Number(id.slice(0, slash)), id: id.slice(slash + 1) };
}

/**
 * Runs `fn` for each item at once and keeps what succeeded: a partition whose master is down (a
 * failover under way) does not hold up the others. Rejects only when every one failed.
 */
async function eachSettled<I, O>(items: readonly I[], fn: (item: I) => Promise<O>): Promise<O[]> {
  const results = await Promise.allSettled(items.map(fn));
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed && ok.length === 0) throw failed.reason;
  return ok;
}

export interface PartitionedOpsOptions {
  /** Every non-blocking command. */
  client: RedisConn;
  /** One Redis: the blocking read's own connection. A cluster: undefined (reads poll on `client`). */
  reader: RedisConn | undefined;
  keys: Keys;
  consumer: string;
  features: StreamFeatures;
  blockMs: number;
}

/** Entries of an XREADGROUP reply naming several streams, per stream name. */
function entriesByStream(reply: unknown): Array<[string, unknown[]]> {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) return reply.map((s) => [asString(asArray(s)[0]) ?? '', asArray(asArray(s)[1])]);
  return Object.entries(fieldMap(reply)).map(([name, entries]) => [name, asArray(entries)]);
}

export function partitionedStreamOps(options: PartitionedOpsOptions): StreamOps {
  const { client, reader, keys, consumer, blockMs } = options;
  const parts = keys.partitions;
  const partKeys = parts.map((p) => keysOfPartition(keys, p));
  const byStream = new Map(parts.map((p) => [p.stream, p]));
  let features = options.features;
  let readerId: string | undefined;
  let idle = new AbortController();
  let idleMs = IDLE_MIN_MS;
  let next = 0;

  const keysOf = (p: number) => partKeys[p] as Keys;
  /** `ids` split by partition: [partition, bare ids]. */
  const split = (ids: readonly string[]) => {
    const groups = new Map<number, string[]>();
    for (const q of ids) {
      const { partition, id } = unqualify(q);
      const list = groups.get(partition);
      if (list) list.push(id);
      else groups.set(partition, [id]);
    }
    return [...groups];
  };
  const entriesFrom = (p: PartitionKeys, raw: unknown[]): StreamEntry[] =>
    raw.flatMap((e) => {
      const [id, fields] = asArray(e);
      const entryId = asString(id);
      return entryId === undefined ? [] : [{ id: qualify(p.index, entryId), data: asString(fieldMap(fields).data), deliveries: 1 }];
    });

  /** Which partitions to ask, and for how many each: all of them, or `count` in turn. */
  function plan(count: number): { asked: PartitionKeys[]; per: number } {
    const per = Math.max(1, Math.ceil(count / parts.length));
    if (count >= parts.length) return { asked: [...parts], per };
    const asked = Array.from({ length: count }, (_, i) => parts[(next + i) % parts.length] as PartitionKeys);
    next = (next + count) % parts.length;
    return { asked, per };
  }

  async function readBlocking(r: RedisConn, count: number): Promise<StreamEntry[]> {
    readerId ??= String(await r.sendCommand(['CLIENT', 'ID']));
    const per = Math.max(1, Math.ceil(count / parts.length));
    const reply = await r.sendCommand([
      'XREADGROUP', 'GROUP', keys.group, consumer, 'COUNT', String(per), 'BLOCK', String(blockMs),
      'STREAMS', ...parts.map((p) => p.stream), ...parts.map(() => '>'),
    ]);
    return entriesByStream(reply).flatMap(([name, raw]) => {
      const p = byStream.get(name);
      return p ? entriesFrom(p, raw) : [];
    });
  }

  async function readPolling(count: number): Promise<StreamEntry[]> {
    const { asked, per } = plan(count);
    const replies = await eachSettled(asked, async (p) => ({
      p,
      reply: await client.sendCommand(['XREADGROUP', 'GROUP', keys.group, consumer, 'COUNT', String(per), 'STREAMS', p.stream, '>']),
    }));
    const out = replies.flatMap(({ p, reply }) => entriesByStream(reply).flatMap(([, raw]) => entriesFrom(p, raw)));
    if (out.length > 0) {
      idleMs = IDLE_MIN_MS;
      return out;
    }
    await sleep(idleMs, idle.signal).catch(() => {});
    if (idle.signal.aborted) idle = new AbortController();
    idleMs = Math.min(IDLE_MAX_MS, Math.min(blockMs, idleMs * 2));
    return [];
  }

  return {
    consumer,
    async readNew(count) {
      if (!reader) return readPolling(count);
      try {
        return await readBlocking(reader, count);
      } catch (err) {
        readerId = undefined; // a new connection gets a new id
        throw err;
      }
    },
    unblockRead() {
      if (!reader) idle.abort();
      else if (readerId) client.sendCommand(['CLIENT', 'UNBLOCK', readerId]).catch(() => {});
    },
    abortRead() {
      if (reader) reader.destroy();
      else idle.abort();
    },
    readerReady: () => (reader ?? client).isReady,
    async ownPending(count) {
      const lists = await eachSettled(parts, async (p) => (await ownPendingIds(client, keysOf(p.index), consumer, count)).map((id) => qualify(p.index, id)));
      return lists.flat();
    },
    async claimOwn(ids) {
      const results = await Promise.all(split(ids).map(([p, bare]) => claimOwn(client, keysOf(p), consumer, bare).then((r) => ({ p, r }))));
      return results.flatMap(({ p, r }) =>
        r.map((c) => (c.status === 'ok' ? { status: 'ok' as const, entry: { ...c.entry, id: qualify(p, c.entry.id) } } : { ...c, id: qualify(p, c.id) })),
      );
    },
    async renewLeases(ids) {
      // A partition that does not answer renews nothing, as when Redis is away: its leases lapse
      // only after JOB_LEASE, and the other partitions' are renewed meanwhile.
      const lost = await eachSettled(split(ids), async ([p, bare]) => (await renewLeases(client, keysOf(p), consumer, bare)).map((id) => qualify(p, id)));
      return lost.flat();
    },
    async autoClaim(minIdleMs, cursor, count) {
      const cursors = cursor.split('|');
      const at = (i: number) => (cursors.length === parts.length ? (cursors[i] as string) : '0-0');
      const per = Math.max(1, Math.ceil(count / parts.length));
      const next = parts.map((p) => at(p.index));
      const results = await eachSettled(parts, async (p) => ({ p: p.index, r: await autoClaim(client, keysOf(p.index), consumer, minIdleMs, at(p.index), per) }));
      for (const { p, r } of results) next[p] = r.cursor;
      return {
        cursor: next.join('|'),
        claimed: results.flatMap(({ p, r }) => r.claimed.map((e) => ({ ...e, id: qualify(p, e.id) }))),
        deleted: results.flatMap(({ p, r }) => r.deleted.map((id) => qualify(p, id))),
      };
    },
    async ack(ids) {
      await Promise.all(
        split(ids).map(async ([p, bare]) => {
          features = await ackEntries(client, keysOf(p), bare, features);
        }),
      );
    },
    async drop(ids) {
      await Promise.all(split(ids).map(([p, bare]) => ackAndDelete(client, keysOf(p), bare)));
    },
    async deadLetter(input) {
      // The dead letters live in a slot of their own: written first, then the entry is settled in
      // its partition. A crash between the two leaves the entry pending: it may be dead-lettered
      // twice, never lost.
      const { partition, id } = unqualify(input.id);
      const k = keysOf(partition);
      const dead = asString(
        await client.sendCommand([
          'XADD', keys.dead, '*', 'data', input.data, 'error', input.error, 'deliveries', String(input.deliveries),
          'original_id', input.id, 'failed_at', new Date().toISOString(),
        ]),
      );
      const moved = asNumber(await runScript<unknown>(client, DROP_DEAD, [k.stream], [keys.group, consumer, id])) === 1;
      if (!moved && dead) await client.sendCommand(['XDEL', keys.dead, dead]);
      return moved;
    },
    async ensureGroup() {
      await Promise.all(partKeys.map((k) => ensureGroup(client, k)));
    },
  };
}
