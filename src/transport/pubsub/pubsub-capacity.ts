// What the Pub/Sub fleet can take now (issue 21): the sum of the subscribers' heartbeats (free
// slots plus backlog room, capacity-heartbeat.ts), so the scheduler publishes what they can hold
// instead of what they would shed. No live report but someone listening (a subscriber of an older
// release): a fixed allowance per listener, as before the heartbeats.
import type { FleetCapacity } from '../inspector.js';
import type { Keys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { loadScript, runScript } from '../scripts.js';

const READ = loadScript('capacity-read');
/** Per listener that reports nothing. */
export const UNREPORTED_ALLOWANCE = 1000;

export interface CapacityReport {
  free: number;
  room: number;
  ahead: number;
  rate: number;
  slots: number;
}

export function formatReport(r: CapacityReport): string {
  return [r.free, r.room, r.ahead, r.rate.toFixed(3), r.slots].join(',');
}

export function parseReport(payload: string): CapacityReport | undefined {
  const [free, room, ahead, rate, slots] = payload.split(',').map(Number);
  const all = [free, room, ahead, rate, slots];
  if (all.some((n) => n === undefined || !Number.isFinite(n) || n < 0)) return undefined;
  return { free: free as number, room: room as number, ahead: ahead as number, rate: rate as number, slots: slots as number };
}

export async function pubsubCapacity(client: RedisConn, keys: Keys): Promise<FleetCapacity> {
  const reply = await runScript<unknown[]>(client, READ, [keys.capacity], []);
  const [now, lost, ...payloads] = reply.map((v) => String(v));
  const reports = payloads.map(parseReport).filter((r): r is CapacityReport => r !== undefined);
  const lostAgoMs = Number(lost) >= 0 ? Math.max(0, Number(now) - Number(lost)) : null;
  if (reports.length === 0) {
    const numsub = (await client.sendCommand(['PUBSUB', 'NUMSUB', keys.channel])) as [string, number];
    const listeners = Number(numsub[1] ?? 0);
    return { via: 'pubsub', durable: false, room: listeners * UNREPORTED_ALLOWANCE, ahead: 0, rate: 0, slots: 0, lostAgoMs, consumed: null };
  }
  const sum = (f: (r: CapacityReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  return {
    via: 'pubsub',
    durable: false,
    room: sum((r) => r.free + r.room),
    ahead: sum((r) => r.ahead),
    rate: sum((r) => r.rate),
    slots: sum((r) => r.slots),
    lostAgoMs,
    consumed: null,
  };
}
