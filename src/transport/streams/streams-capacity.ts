// What the job stream can take now (issue 21): entries waiting for the subscribers' group —
// undelivered (the group's lag) plus delivered and unacknowledged — below a high-water mark.
// A stream is durable, so what waits in it is not announced again; there is one stream today
// or one per partition (QUEUE_PARTITIONS), summed.
import type { FleetCapacity } from '../inspector.js';
import type { Keys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { asArray, asNumber, asString, fieldMap, isNoGroupError } from './stream-commands.js';

/** Entries of one partition's stream not yet acknowledged by the group (undelivered + pending). */
async function waitingIn(client: RedisConn, stream: string, group: string): Promise<{ waiting: number; consumed: number | null }> {
  const [length, groupsReply] = await Promise.all([
    client.sendCommand(['XLEN', stream]),
    client.sendCommand(['XINFO', 'GROUPS', stream]).catch((err: unknown) => {
      if (isNoGroupError(err) || /no such key/i.test(String(err))) return [];
      throw err;
    }),
  ]);
  const info = asArray(groupsReply).map(fieldMap).find((g) => asString(g.name) === group);
  // Redis 7.0+ reports the lag; it is null when it cannot be computed (after XDEL or a trim
  // past undelivered entries) and absent on older servers: then every entry counts as waiting.
  const lag = info?.lag;
  const undelivered = info === undefined || lag === null || lag === undefined ? asNumber(length) : asNumber(lag);
  const read = info?.['entries-read'];
  return {
    waiting: undelivered + (info === undefined ? 0 : asNumber(info.pending)),
    consumed: info === undefined || read === null || read === undefined ? null : asNumber(read),
  };
}

/**
 * The mark holds for the queue as a whole: the scheduler cannot tell ahead of time which partition
 * a page of targets lands in (users hash evenly, so each partition holds about mark ÷ partitions).
 * Each stream is asked on its own (one key per command, so each goes to its own master).
 */
export async function streamsCapacity(client: RedisConn, keys: Keys, highWater: number): Promise<FleetCapacity> {
  const parts = await Promise.all(keys.partitions.map((p) => waitingIn(client, p.stream, keys.group)));
  const waiting = parts.reduce((n, p) => n + p.waiting, 0);
  const consumed = parts.some((p) => p.consumed === null) ? null : parts.reduce((n, p) => n + (p.consumed as number), 0);
  return { via: 'streams', durable: true, room: Math.max(0, highWater - waiting), ahead: waiting, rate: 0, slots: 0, lostAgoMs: null, consumed };
}
