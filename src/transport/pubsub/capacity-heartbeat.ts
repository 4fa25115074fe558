// A Pub/Sub subscriber's capacity heartbeat (issue 21): every second its work pool reports free
// slots, backlog room, the jobs ahead and the jobs per second it finished lately, in a field of one
// Redis hash with an expiry (capacity-report.lua). The scheduler publishes no more than the sum, so
// shedding becomes the exception; a report of dropped messages lets it republish at once.
import type { Logger } from '../../logger.js';
import type { Keys } from '../keys.js';
import { CLOSE_TIMEOUT_MS } from '../redis-connection.js';
import { loadScript, type ScriptRunner } from '../scripts.js';
import { settledWithin } from '../../timeout.js';
import { formatReport, type CapacityReport } from './pubsub-capacity.js';

const REPORT = loadScript('capacity-report');
export const HEARTBEAT_MS = 1000;
/** A report outlives a few missed heartbeats, not a dead subscriber. */
export const REPORT_TTL_MS = 5000;
/** Completions over this span make the reported rate. */
const RATE_SPAN_MS = 30_000;

export interface PoolSample {
  free: number;
  room: number;
  ahead: number;
  slots: number;
  /** Deliveries finished since the pool started (monotonic). */
  completed: number;
}

export interface CapacityHeartbeat {
  /** Messages were dropped (shed): said with the next report. */
  lost(): void;
  /** Leaves the fleet's capacity; `dropped` reports a loss at once (unstarted or aborted jobs). */
  stop(dropped: boolean): Promise<void>;
}

export function startCapacityHeartbeat(opts: {
  scripts: ScriptRunner;
  keys: Keys;
  instance: string;
  sample: () => PoolSample;
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}): CapacityHeartbeat & { ready: Promise<void> } {
  const now = opts.now ?? Date.now;
  const history: { at: number; completed: number }[] = [];
  let lostPending = false;
  let stopped = false;
  let warned = false;

  function report(): CapacityReport {
    const s = opts.sample();
    const t = now();
    history.push({ at: t, completed: s.completed });
    while (history.length > 2 && (history[0] as { at: number }).at < t - RATE_SPAN_MS) history.shift();
    const first = history[0] as { at: number; completed: number };
    const rate = t > first.at ? ((s.completed - first.completed) * 1000) / (t - first.at) : 0;
    return { free: s.free, room: s.room, ahead: s.ahead, rate, slots: s.slots };
  }

  async function send(payload: string, lost: boolean): Promise<void> {
    try {
      await opts.scripts.run(REPORT, [opts.keys.capacity], [opts.instance, payload, REPORT_TTL_MS, lost ? '1' : '0']);
      warned = false;
    } catch (err) {
      if (lost) lostPending = true; // said again next time
      if (!warned) opts.logger.warn({ err: String(err) }, 'could not report capacity; the scheduler falls back to its allowance');
      warned = true;
    }
  }

  async function beat(): Promise<void> {
    const lost = lostPending;
    lostPending = false;
    await send(formatReport(report()), lost);
  }

  const ready = beat();
  const timer = setInterval(() => {
    if (!stopped) void beat();
  }, opts.everyMs ?? HEARTBEAT_MS);
  timer.unref();

  return {
    ready,
    lost() {
      lostPending = true;
    },
    async stop(dropped) {
      stopped = true;
      clearInterval(timer);
      // Bounded: with Redis away the command would wait in the client's queue.
      await settledWithin(send('', dropped || lostPending), CLOSE_TIMEOUT_MS);
    },
  };
}
