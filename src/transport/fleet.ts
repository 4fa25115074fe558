// The fleet: every long-running process reports its counters and identity into one Redis hash
// every few seconds, and the dashboard and `status` sum what is there. A report older than the TTL
// is dropped (its process died or stopped), so the sum covers the processes alive now. One hash
// (one key, one slot) keeps it to single-key scripts, on a cluster too.
import { z } from 'zod';
import type { Keys } from './keys.js';
import { loadScript, type ScriptRunner } from './scripts.js';

/** Totals since the process started. */
export interface FleetCounters {
  processed: number;
  failed: number;
  rejected: number;
  shed: number;
}

export interface ProcessReport {
  /** This process's unique name (config.instance). */
  instance: string;
  /** What it runs: subscriber, scheduler, server, or several joined by '+' (`all`). */
  role: string;
  host: string;
  pid: number;
  version: string;
  /** SUBSCRIBER_MAX_CONCURRENT_JOBS for a subscriber, else 0. */
  concurrency: number;
  inFlight: number;
  totals: FleetCounters;
  /** What the totals grew by over the last minute (or since start, when younger). */
  perMinute: FleetCounters;
}

export interface FleetMember extends ProcessReport {
  /** ISO time of its last report (Redis server's clock). */
  lastSeen: string;
  /** Since its last report. */
  ageMs: number;
}

export interface Fleet {
  /** How long a report counts; a process reports several times within it. */
  readonly ttlMs: number;
  report(report: ProcessReport): Promise<void>;
  /** Removes this process's report at once (a clean stop). */
  leave(instance: string): Promise<void>;
  /** Processes with a live report, by role then instance. */
  members(): Promise<FleetMember[]>;
}

const REPORT = loadScript('fleet-report');
const READ = loadScript('fleet-read');

const count = z.number().int().nonnegative();
const counters = z.object({ processed: count, failed: count, rejected: count, shed: count });
const reportSchema = z.object({
  instance: z.string().min(1),
  role: z.string(),
  host: z.string(),
  pid: count,
  version: z.string(),
  concurrency: count,
  inFlight: count,
  totals: counters,
  perMinute: counters,
});

/** Sums the members' counters: the fleet's figures. */
export function fleetTotals(members: readonly FleetMember[]): { totals: FleetCounters; perMinute: FleetCounters; inFlight: number } {
  const zero = (): FleetCounters => ({ processed: 0, failed: 0, rejected: 0, shed: 0 });
  const totals = zero();
  const perMinute = zero();
  let inFlight = 0;
  for (const m of members) {
    for (const k of ['processed', 'failed', 'rejected', 'shed'] as const) {
      totals[k] += m.totals[k];
      perMinute[k] += m.perMinute[k];
    }
    inFlight += m.inFlight;
  }
  return { totals, perMinute, inFlight };
}

export function createFleet(scripts: ScriptRunner, keys: Keys, ttlMs: number): Fleet {
  const key = [keys.fleet];
  return {
    ttlMs,
    async report(r) {
      const { instance, ...rest } = r;
      await scripts.run(REPORT, key, [instance, JSON.stringify({ instance, ...rest }), ttlMs, '']);
    },
    async leave(instance) {
      await scripts.run(REPORT, key, [instance, '', ttlMs, 'leave']);
    },
    async members() {
      const reply = await scripts.run<string[]>(READ, key, [ttlMs]);
      const now = Number(reply[0]);
      const out: FleetMember[] = [];
      for (let i = 1; i + 1 < reply.length; i += 2) {
        const value = String(reply[i + 1]);
        const space = value.indexOf(' ');
        const seen = Number(value.slice(0, space));
        let parsed: unknown;
        try {
          parsed = JSON.parse(value.slice(space + 1));
        } catch {
          continue; // not ours (or from a newer format): skipped, never fatal to the dashboard
        }
        const ok = reportSchema.safeParse(parsed);
        if (!ok.success) continue;
        out.push({ ...ok.data, lastSeen: new Date(seen).toISOString(), ageMs: Math.max(0, now - seen) });
      }
      return out.sort((a, b) => a.role.localeCompare(b.role) || a.instance.localeCompare(b.instance));
    },
  };
}
