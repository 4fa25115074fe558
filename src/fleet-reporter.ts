// Each long-running process reports its job counters and identity to the fleet (messaging.fleet)
// every few seconds, so the dashboard and `status` can sum the whole fleet rather than show the
// one process that serves them. The counters are the same prom-client series /metrics exposes.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { systemClock, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { jobsInFlight, jobsProcessed, messagesRejected, messagesShed } from './metrics.js';
import { periodic } from './periodic.js';
import { settledWithin } from './timeout.js';
import type { Fleet, FleetCounters, ProcessReport } from './transport/fleet.js';

/** Job outcomes counted as processed and as failed (the rest — superseded, deferred … — as neither). */
export const PROCESSED_OUTCOMES: ReadonlySet<string> = new Set(['done', 'current']);
export const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['failed', 'retry', 'lease_lost']);

type Series = { values: Array<{ value: number; labels: Record<string, string | number | undefined> }> };

function sum({ values }: Series, outcomes?: ReadonlySet<string>): number {
  return values.filter((v) => !outcomes || outcomes.has(String(v.labels.outcome))).reduce((a, v) => a + v.value, 0);
}

/** This process's counters, as /metrics has them. */
export async function localCounters(): Promise<FleetCounters & { inFlight: number }> {
  const [processed, rejected, shed, inFlight] = await Promise.all([jobsProcessed.counter.get(), messagesRejected.get(), messagesShed.get(), jobsInFlight.get()]);
  return {
    processed: sum(processed, PROCESSED_OUTCOMES),
    failed: sum(processed, FAILED_OUTCOMES),
    rejected: sum(rejected),
    shed: sum(shed),
    inFlight: sum(inFlight),
  };
}

export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export interface FleetReporterOptions {
  fleet: Fleet;
  instance: string;
  role: string;
  /** Jobs this process runs at once (0 when it runs none). */
  concurrency: number;
  logger: Logger;
  clock?: Clock;
  /** Where the counters come from. @defaultValue localCounters */
  counters?: () => Promise<FleetCounters & { inFlight: number }>;
}

export interface FleetReporter {
  /** Reports now and then every fleet.ttlMs / 3. */
  start(): Promise<void>;
  /** Stops reporting and removes this process from the fleet. */
  stop(): Promise<void>;
}

const MINUTE_MS = 60_000;
const LEAVE_TIMEOUT_MS = 1000;

export function fleetReporter(o: FleetReporterOptions): FleetReporter {
  const clock = o.clock ?? systemClock;
  const read = o.counters ?? localCounters;
  // Snapshots of the last minute, oldest first: the per-minute figure is the growth since the oldest.
  const history: Array<{ at: number; c: FleetCounters }> = [];
  let warned = false;

  const once = async () => {
    const { inFlight, ...totals } = await read();
    const now = clock.now();
    history.push({ at: now, c: totals });
    while (history.length > 1 && now - (history[1] as { at: number }).at >= MINUTE_MS) history.shift();
    const base = (history[0] as { c: FleetCounters }).c;
    const report: ProcessReport = {
      instance: o.instance,
      role: o.role,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      concurrency: o.concurrency,
      inFlight,
      totals,
      perMinute: {
        processed: totals.processed - base.processed,
        failed: totals.failed - base.failed,
        rejected: totals.rejected - base.rejected,
        shed: totals.shed - base.shed,
      },
    };
    try {
      await o.fleet.report(report);
      warned = false;
    } catch (err) {
      // Redis away: the next round tries again; one line per outage, not one per round.
      if (!warned) o.logger.warn({ err: (err as Error).message }, 'could not report to the fleet');
      warned = true;
    }
  };
  const loop = periodic(Math.max(1000, Math.floor(o.fleet.ttlMs / 3)), once, clock);
  return {
    async start() {
      await once();
      loop.start();
    },
    async stop() {
      await loop.stop(250);
      // Bounded: with Redis hanging the command would wait in the client's queue, and the process
      // must stop within its bound; it drops out by TTL anyway.
      await settledWithin(o.fleet.leave(o.instance), LEAVE_TIMEOUT_MS, clock);
    },
  };
}
