// What the job stream can take now (issue 21): entries waiting for the subscribers' group —
// undelivered (the group's lag) plus delivered and unacknowledged — below a high-water mark.
// A stream is durable, so what waits in it is not announced again; there is one stream today
// (one partition), and the mark holds per stream.
import type { FleetCapacity } from '../inspector.js';
import type { Keys } from '../keys.js';
import type { RedisClient } from '../redis-connection.js';
import { asArray, asNumber, asString, fieldMap, isNoGroupError } from './stream-commands.js';

export async function streamsCapacity(client: RedisClient, keys: Keys, highWater: number): Promise<FleetCapacity> {
  const [length, groupsReply] = await Promise.all([
    client.sendCommand(['XLEN', keys.stream]),
    client.sendCommand(['XINFO', 'GROUPS', keys.stream]).catch((err: unknown) => {
      if (isNoGroupError(err) || /no such key/i.test(String(err))) return [];
      throw err;
    }),
  ]);
  const group = asArray(groupsReply).map(fieldMap).find((g) => asString(g.name) === keys.group);
  // Redis 7.0+ reports the lag; it is null when it cannot be computed (after XDEL or a trim
  // past undelivered entries) and absent on older servers: then every entry counts as waiting.
  const lag = group?.lag;
  const undelivered = group === undefined ? asNumber(length) : lag === null || lag === undefined ? asNumber(length) : asNumber(lag);
  const waiting = undelivered + (group === undefined ? 0 : asNumber(group.pending));
  return {
    via: 'streams',
    durable: true,
    room: Math.max(0, highWater - waiting),
    ahead: waiting,
    rate: 0,
    slots: 0,
    lostAgoMs: null,
    consumed: group === undefined || group['entries-read'] === null || group['entries-read'] === undefined ? null : asNumber(group['entries-read']),
  };
}
