// The queue as the streams transport has it — the stream, its group, pending entries and the
// dead-letter stream — for `diary-events status`, the dashboard, `dlq list | replay | purge` and
// the janitor's metrics.
import type { ConsumerStatus, DeadLetter, Inspector } from '../inspector.js';
import { keysOfPartition, urgentLane, type Keys, type PartitionKeys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { streamsCapacity } from './streams-capacity.js';
import { asArray, asNumber, asString, emptyIfMissing, fieldMap, idTime } from './stream-commands.js';

export interface GroupStatus {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
}

export interface StreamsStatus {
  /** Entries in the stream (undelivered, pending and not yet trimmed). */
  length: number;
  groups: GroupStatus[];
  /** Delivered but unacknowledged entries of the subscribers' group. */
  pending: number;
  pendingPerConsumer: ConsumerStatus[];
  /** Since the oldest pending entry was published; null when nothing is pending. */
  oldestPendingAgeMs: number | null;
  /** Since the oldest pending entry was last delivered or its lease renewed; null when none. */
  oldestPendingIdleMs: number | null;
  deadLetters: number;
  /** Consumers of the subscribers' group. */
  consumers: number;
}

export async function streamsStatus(client: RedisConn, keys: Keys): Promise<StreamsStatus> {
  const [length, deadLetters, groupsReply, consumersReply, oldestReply, time] = await Promise.all([
    client.sendCommand(['XLEN', keys.stream]),
    client.sendCommand(['XLEN', keys.dead]),
    emptyIfMissing(() => client.sendCommand(['XINFO', 'GROUPS', keys.stream])),
    emptyIfMissing(() => client.sendCommand(['XINFO', 'CONSUMERS', keys.stream, keys.group])),
    emptyIfMissing(() => client.sendCommand(['XPENDING', keys.stream, keys.group, '-', '+', '1'])),
    client.sendCommand(['TIME']),
  ]);
  const groups = asArray(groupsReply).map((g): GroupStatus => {
    const f = fieldMap(g);
    return {
      name: asString(f.name) ?? '',
      consumers: asNumber(f.consumers),
      pending: asNumber(f.pending),
      lastDeliveredId: asString(f['last-delivered-id']) ?? '0-0',
    };
  });
  const pendingPerConsumer = asArray(consumersReply).map((c): ConsumerStatus => {
    const f = fieldMap(c);
    return { name: asString(f.name) ?? '', pending: asNumber(f.pending), idleMs: asNumber(f.idle) };
  });
  // Ages against the server's clock, not this machine's.
  const [seconds, micros] = asArray(time).map(asNumber);
  const nowMs = (seconds ?? 0) * 1000 + Math.floor((micros ?? 0) / 1000);
  const [oldestId, , oldestIdle] = asArray(asArray(oldestReply)[0]);
  const oldest = asString(oldestId);
  const group = groups.find((g) => g.name === keys.group);
  return {
    length: asNumber(length),
    groups,
    pending: group?.pending ?? 0,
    pendingPerConsumer,
    oldestPendingAgeMs: oldest === undefined ? null : Math.max(0, nowMs - idTime(oldest)),
    oldestPendingIdleMs: oldest === undefined ? null : asNumber(oldestIdle),
    deadLetters: asNumber(deadLetters),
    consumers: pendingPerConsumer.length,
  };
}

/** The status of every partition's stream together (the one stream when unpartitioned). */
export async function allPartitionsStatus(client: RedisConn, keys: Keys): Promise<StreamsStatus> {
  if (!keys.partitioned) return streamsStatus(client, keys);
  const all = await Promise.all(keys.partitions.map((p) => streamsStatus(client, keysOfPartition(keys, p))));
  const consumers = new Map<string, ConsumerStatus>();
  const groups = new Map<string, GroupStatus>();
  for (const s of all) {
    for (const c of s.pendingPerConsumer) {
      const seen = consumers.get(c.name);
      consumers.set(c.name, seen ? { name: c.name, pending: seen.pending + c.pending, idleMs: Math.min(seen.idleMs, c.idleMs) } : { ...c });
    }
    for (const g of s.groups) {
      const seen = groups.get(g.name);
      groups.set(g.name, seen ? { ...seen, consumers: Math.max(seen.consumers, g.consumers), pending: seen.pending + g.pending } : { ...g });
    }
  }
  const oldest = (pick: (s: StreamsStatus) => number | null) => {
    const values = all.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  return {
    length: all.reduce((n, s) => n + s.length, 0),
    groups: [...groups.values()],
    pending: all.reduce((n, s) => n + s.pending, 0),
    pendingPerConsumer: [...consumers.values()],
    oldestPendingAgeMs: oldest((s) => s.oldestPendingAgeMs),
    oldestPendingIdleMs: oldest((s) => s.oldestPendingIdleMs),
    deadLetters: all[0]?.deadLetters ?? 0,
    consumers: consumers.size,
  };
}

/** The partition a replayed job goes to: its user's (the first when its data names none). */
function replayPartition(keys: Keys, data: string): PartitionKeys {
  try {
    const user: unknown = (JSON.parse(data) as Record<string, unknown>).user_id;
    if (typeof user === 'string') return keys.partitionOf(user);
  } catch {
    // not JSON: the subscriber rejects it again, visibly
  }
  return keys.partitions[0] as PartitionKeys;
}

function deadLetterFrom(raw: unknown): DeadLetter | undefined {
  const [id, fields] = asArray(raw);
  const entryId = asString(id);
  if (entryId === undefined) return undefined;
  const f = fieldMap(fields);
  return {
    id: entryId,
    data: asString(f.data) ?? '',
    error: asString(f.error) ?? '',
    deliveries: asNumber(f.deliveries),
    failedAt: asString(f.failed_at) ?? '',
    originalId: asString(f.original_id) ?? '',
  };
}

/** The oldest `limit` dead letters. */
export async function dlqList(client: RedisConn, keys: Keys, limit: number): Promise<DeadLetter[]> {
  const reply = await client.sendCommand(['XRANGE', keys.dead, '-', '+', 'COUNT', String(limit)]);
  return asArray(reply)
    .map(deadLetterFrom)
    .filter((e): e is DeadLetter => e !== undefined);
}

/**
 * The job to publish again: marked `"trigger":"manual"` so the subscriber runs it even when its
 * summary row records a permanent failure, with the attempt count of the failed run dropped.
 */
export function replayData(data: string): string {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return data;
    const { attempt: _attempt, ...rest } = value as Record<string, unknown>;
    return JSON.stringify({ ...rest, trigger: 'manual' });
  } catch {
    return data; // not JSON: the subscriber rejects it again, visibly
  }
}

/**
 * Publishes dead letters to the job stream again and deletes them from the dead-letter stream,
 * each in one MULTI (never both, never neither). Returns how many were replayed; unknown ids are skipped.
 */
export async function dlqReplay(client: RedisConn, keys: Keys, ids: readonly string[] | 'all'): Promise<number> {
  let replayed = 0;
  const replay = async (entry: DeadLetter) => {
    if (keys.partitioned) {
      // The dead letters and the job's partition live in two slots: publish, then delete. A crash
      // between the two replays the job twice (claims and row versions make that harmless).
      await client.sendCommand(['XADD', replayPartition(keys, entry.data).stream, '*', 'data', replayData(entry.data)]);
      if (asNumber(await client.sendCommand(['XDEL', keys.dead, entry.id])) === 1) replayed++;
      return;
    }
    const [, deleted] = await client
      .multi()
      .addCommand(['XADD', keys.stream, '*', 'data', replayData(entry.data)])
      .addCommand(['XDEL', keys.dead, entry.id])
      .exec();
    if (asNumber(deleted) === 1) replayed++;
  };
  if (ids === 'all') {
    // Batches from the start; each pass deletes what it replays, so `-` moves on by itself.
    for (;;) {
      const batch = await dlqList(client, keys, 100);
      if (batch.length === 0) break;
      for (const entry of batch) await replay(entry);
    }
    return replayed;
  }
  for (const id of ids) {
    const reply = await client.sendCommand(['XRANGE', keys.dead, id, id]);
    const entry = deadLetterFrom(asArray(reply)[0]);
    if (entry) await replay(entry);
  }
  return replayed;
}

/** Deletes every dead letter; returns how many there were. */
export async function dlqPurge(client: RedisConn, keys: Keys): Promise<number> {
  const [count] = await client.multi().addCommand(['XLEN', keys.dead]).addCommand(['DEL', keys.dead]).exec();
  return asNumber(count);
}

export function streamsInspector(client: RedisConn, keys: Keys): Inspector {
  const store = {
    list: (limit: number) => dlqList(client, keys, limit),
    replay: (ids: readonly string[] | 'all') => dlqReplay(client, keys, ids),
    purge: () => dlqPurge(client, keys),
  };
  return {
    async status() {
      // The main stream and the urgent one (jobs a user triggered), every partition, shown together.
      const [s, u] = await Promise.all([allPartitionsStatus(client, keys), allPartitionsStatus(client, urgentLane(keys))]);
      const perConsumer = new Map<string, ConsumerStatus>();
      for (const c of [...s.pendingPerConsumer, ...u.pendingPerConsumer]) {
        const seen = perConsumer.get(c.name);
        perConsumer.set(c.name, seen ? { name: c.name, pending: seen.pending + c.pending, idleMs: Math.min(seen.idleMs, c.idleMs) } : c);
      }
      const oldest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
      return {
        transport: 'streams',
        where: [...keys.partitions.map((p) => p.stream), ...urgentLane(keys).partitions.map((p) => p.stream)],
        consumers: Math.max(s.consumers, u.consumers),
        depth: s.length + u.length,
        pending: s.pending + u.pending,
        pendingPerConsumer: [...perConsumer.values()],
        oldestPendingAgeMs: oldest(s.oldestPendingAgeMs, u.oldestPendingAgeMs),
        oldestPendingIdleMs: oldest(s.oldestPendingIdleMs, u.oldestPendingIdleMs),
        deadLetters: s.deadLetters,
      };
    },
    capacity: (highWater: number) => streamsCapacity(client, keys, highWater),
    deadLetters: () => store,
  };
}
