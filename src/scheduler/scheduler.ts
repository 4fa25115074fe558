// Runs each ScheduledJob at the start of every interval slot. Within a process a job's ticks never
// overlap (the next waits for the previous); across replicas the TickLock keeps them apart and the
// database lets one tick run per slot. Nothing a tick meets — a Redis error reply, a lost
// connection, a database outage — stops the loop: the tick is logged and counted as failed, and the
// next slot tries again.
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Db } from '../db/db.js';
import { claimSlot, recordTick } from '../db/scheduler-ticks.js';
import { toError } from '../errors/job-errors.js';
import type { Logger } from '../logger.js';
import type { JobMessage } from '../messages.js';
import { schedulerInterval, schedulerLastTick, schedulerTargets, schedulerTickDuration, schedulerTicks } from '../metrics.js';
import { settledWithin } from '../timeout.js';
import type { TickLock } from '../transport/tick-lock.js';
import type { Fleet } from './admission.js';
import type { ScheduledJob, TickResult } from './scheduled-job.js';
import { inSpan, publishTraced } from '../spans.js';

export interface SchedulerOptions {
  jobs: readonly ScheduledJob[];
  db: Db;
  logger: Logger;
  publish(message: JobMessage): Promise<void>;
  /** Replica coordination; absent for `--once`, which always runs. */
  lock?: TickLock;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** Random jitter before a slot's tick, spreading replicas' lock attempts. @defaultValue 50 */
  jitterMs?: number;
  /** Admission control and the announcement record (issue 21); see TickContext.fleet. */
  fleet?: Fleet;
  /** SCHEDULER_MAX_PER_USER. */
  maxPerUser?: number;
}

export interface OnceReport {
  results: Record<string, TickResult>;
  /** Jobs whose tick failed, with the reason. */
  failures: Record<string, string>;
}

export interface Scheduler {
  /** Ticks now (if this slot has not run anywhere) and then at every slot start. */
  start(): void;
  /** Runs every job once, now, without the lock. */
  runOnce(): Promise<OnceReport>;
  /** Stops scheduling and waits for running ticks, at most `timeoutMs` (a tick stuck on an unreachable database ends with the process). */
  stop(timeoutMs?: number): Promise<void>;
}

/** How long stop() waits for a running tick. */
export const STOP_TIMEOUT_MS = 5000;

type TickOutcome = { kind: 'ran'; result: TickResult } | { kind: 'skipped' } | { kind: 'failed'; error: string };

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, logger } = options;
  const clock = options.clock ?? systemClock;
  const jitterMs = options.jitterMs ?? 50;
  const timers = new Map<string, TimerHandle>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  async function tick(job: ScheduledJob, coordinated: boolean): Promise<TickOutcome> {
    const now = clock.now();
    const log = logger.child({ job: job.name });
    let release: (() => Promise<void>) | undefined;
    try {
      if (coordinated && options.lock) {
        release = await options.lock.acquire(job.name);
        const slotStart = new Date(Math.floor(now / job.intervalMs) * job.intervalMs);
        if (!release || !(await claimSlot(db, job.name, slotStart))) {
          schedulerTicks.inc({ job: job.name, outcome: 'skipped' });
          log.debug('tick already taken by another scheduler');
          return { kind: 'skipped' };
        }
      }
      const end = schedulerTickDuration.startTimer({ job: job.name });
      // Each job a tick publishes starts a trace of its own, linked to the tick's span.
      const result = await inSpan(
        `tick ${job.name}`,
        async (span) => {
          const tickSpan = span.spanContext();
          const ctx = {
            db, now: new Date(now), logger: log, publish: (m: JobMessage) => publishTraced(options.publish, m, tickSpan),
            ...(options.fleet ? { fleet: options.fleet } : {}),
            ...(options.maxPerUser !== undefined ? { maxPerUser: options.maxPerUser } : {}),
          };
          const r = await job.run(ctx);
          if (span.isRecording()) span.setAttributes({ 'diary.tick.found': r.found, 'diary.tick.published': r.published, 'diary.tick.failed': r.failed });
          return r;
        },
        { attributes: { 'diary.scheduler.job': job.name } },
      ).finally(end);
      schedulerTargets.set({ job: job.name }, result.found);
      schedulerTicks.inc({ job: job.name, outcome: 'ok' });
      schedulerLastTick.set({ job: job.name }, clock.now() / 1000);
      await recordTick(db, job.name, new Date(now), result).catch((err: unknown) =>
        log.warn({ err: toError(err).message }, 'could not record the tick'),
      );
      log.info({ ...result, started_at: new Date(now).toISOString() }, 'tick done');
      return { kind: 'ran', result };
    } catch (err) {
      const error = toError(err).message;
      schedulerTicks.inc({ job: job.name, outcome: 'error' });
      log.error({ err: error }, 'tick failed; the next one tries again');
      return { kind: 'failed', error };
    } finally {
      await release?.().catch(() => {});
    }
  }

  function schedule(job: ScheduledJob): void {
    if (stopped) return;
    const now = clock.now();
    const delay = (Math.floor(now / job.intervalMs) + 1) * job.intervalMs - now + Math.floor(Math.random() * jitterMs);
    timers.set(job.name, clock.setTimeout(() => void loop(job), delay));
  }

  async function loop(job: ScheduledJob): Promise<void> {
    if (stopped) return;
    const p = tick(job, true);
    running.add(p);
    try {
      await p;
    } finally {
      running.delete(p);
      schedule(job);
    }
  }

  return {
    start() {
      for (const job of options.jobs) {
        schedulerInterval.set({ job: job.name }, job.intervalMs / 1000);
        // Until its first tick, a job counts from the start: a scheduler that never ticks alerts too.
        schedulerLastTick.set({ job: job.name }, clock.now() / 1000);
        loop(job).catch((err: unknown) => logger.error({ job: job.name, err: toError(err).message }, 'scheduler loop failed'));
      }
    },
    async runOnce() {
      const report: OnceReport = { results: {}, failures: {} };
      for (const job of options.jobs) {
        const r = await tick(job, false);
        if (r.kind === 'ran') report.results[job.name] = r.result;
        else if (r.kind === 'failed') report.failures[job.name] = r.error;
      }
      return report;
    },
    async stop(timeoutMs = STOP_TIMEOUT_MS) {
      stopped = true;
      for (const t of timers.values()) clock.clearTimeout(t);
      if (!(await settledWithin(Promise.all([...running]), timeoutMs, clock))) {
        logger.warn({ ticks: running.size }, 'a tick was still running at shutdown; the next slot runs it again');
      }
    },
  };
}
