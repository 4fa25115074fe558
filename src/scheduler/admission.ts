// Admission control (issue 21): a tick publishes no more than the fleet can take before the next
// one. Streams: up to a high-water mark of waiting entries. Pub/Sub: up to the room subscribers
// report (free slots plus backlog room). The rest waits in the database, which costs nothing.
//
// Pub/Sub reports are up to a heartbeat old, so what this process published since counts against
// them (the daily job's publishes, when the monthly job asks a moment later).
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { FleetCapacity, Inspector } from '../transport/inspector.js';
import { reannounceAfterMs } from './announce-window.js';

/**
 * Waiting stream entries per stream (partition) above which a tick publishes nothing — raised to
 * twice what the subscribers read in one interval (measured between ticks), so a fast fleet is
 * never starved by the mark, and never above MAX_HIGH_WATER.
 */
export const STREAM_HIGH_WATER = 10_000;
export const MAX_HIGH_WATER = 200_000;
/** Most messages one tick publishes, whatever the room (bounds a tick's own work). */
export const MAX_PER_TICK = 100_000;
/** How long a publish may be missing from a subscriber's report (heartbeat and its delivery). */
const REPORT_LAG_MS = 2500;

export interface Allowance {
  readonly capacity: FleetCapacity;
  /** Messages this tick may publish. */
  readonly room: number;
  /** From when the target published at `position` of this tick may be announced again. */
  reannounceAt(position: number): Date;
  /** `n` messages went out. */
  spend(n: number): void;
}

export interface Fleet {
  /** Reads the queue's capacity for a tick starting at `now` of a job ticking every `intervalMs`. */
  open(now: Date, intervalMs: number): Promise<Allowance>;
}

export function createFleet(options: {
  inspector: Pick<Inspector, 'capacity'>;
  /** @defaultValue STREAM_HIGH_WATER */
  highWater?: number;
  /** @defaultValue MAX_PER_TICK */
  maxPerTick?: number;
  clock?: Clock;
}): Fleet {
  const clock = options.clock ?? systemClock;
  const highWater = options.highWater ?? STREAM_HIGH_WATER;
  const maxPerTick = options.maxPerTick ?? MAX_PER_TICK;
  let recent: { at: number; n: number }[] = [];
  let lastRead: { at: number; consumed: number } | undefined;
  let readRate = 0;

  return {
    async open(now, intervalMs) {
      const mark = Math.min(MAX_HIGH_WATER, Math.max(highWater, Math.ceil((2 * readRate * intervalMs) / 1000)));
      const reported = await options.inspector.capacity(mark);
      const t = clock.now();
      if (reported.consumed !== null) {
        if (lastRead && t > lastRead.at && reported.consumed >= lastRead.consumed) {
          readRate = ((reported.consumed - lastRead.consumed) * 1000) / (t - lastRead.at);
        }
        lastRead = { at: t, consumed: reported.consumed };
      }
      const capacity = reported.durable && reported.rate === 0 ? { ...reported, rate: readRate } : reported;
      recent = recent.filter((r) => r.at > t - REPORT_LAG_MS);
      const unseen = capacity.durable ? 0 : recent.reduce((n, r) => n + r.n, 0);
      const seen: FleetCapacity = { ...capacity, ahead: capacity.ahead + unseen };
      const room = Math.max(0, Math.min(maxPerTick, capacity.room - unseen));
      return {
        capacity: seen,
        room,
        reannounceAt: (position) => new Date(now.getTime() + reannounceAfterMs(seen, position, intervalMs)),
        spend(n) {
          if (n > 0) recent.push({ at: clock.now(), n });
        },
      };
    },
  };
}
