// Runs each ScheduledJob at the start of every interval slot. Within a process a job's ticks never
// overlap (the next waits for the previous); across replicas the TickLock lets one run per slot.
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { JobMessage } from '../messages.js';
import { schedulerTargets, schedulerTickDuration, schedulerTicks } from '../metrics.js';
import type { TickLock } from '../transport/tick-lock.js';
import type { ScheduledJob, TickResult } from './scheduled-job.js';

export interface SchedulerOptions {
  jobs: readonly ScheduledJob[];
  db: Db;
  logger: Logger;
  publish(message: JobMessage): Promise<void>;
  /** Replica coordination; absent for `--once`, which always runs. */
  lock?: TickLock;
  /** @defaultValue Date.now */
  clock?: () => number;
}

export interface Scheduler {
  /** Ticks now (if this slot has not run anywhere) and then at every slot start. */
  start(): void;
  /** Runs every job once, now, without the lock. */
  runOnce(): Promise<Record<string, TickResult>>;
  /** Stops scheduling and waits for running ticks. */
  stop(): Promise<void>;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, logger } = options;
  const clock = options.clock ?? Date.now;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  async function tick(job: ScheduledJob, useLock: boolean): Promise<TickResult | undefined> {
    const now = clock();
    const release = useLock && options.lock ? await options.lock.acquire(job.name, job.intervalMs, now) : async () => {};
    if (!release) {
      schedulerTicks.inc({ job: job.name, outcome: 'skipped' });
      logger.debug({ job: job.name }, 'tick already taken by another scheduler');
      return undefined;
    }
    const end = schedulerTickDuration.startTimer({ job: job.name });
    const log = logger.child({ job: job.name });
    try {
      const result = await job.run({ db, now: new Date(now), logger: log, publish: options.publish });
      schedulerTargets.set({ job: job.name }, result.found);
      schedulerTicks.inc({ job: job.name, outcome: 'ok' });
      await recordTick(db, job.name, new Date(now), result).catch((err: Error) =>
        log.warn({ err: err.message }, 'could not record the tick'),
      );
      log.info({ ...result, started_at: new Date(now).toISOString() }, 'tick done');
      return result;
    } catch (err) {
      schedulerTicks.inc({ job: job.name, outcome: 'error' });
      log.error({ err: (err as Error).message }, 'tick failed; the next one tries again');
      return undefined;
    } finally {
      end();
      await release().catch(() => {});
    }
  }

  function schedule(job: ScheduledJob): void {
    if (stopped) return;
    const now = clock();
    // A little jitter spreads replicas' lock attempts; the lock decides anyway.
    const delay = (Math.floor(now / job.intervalMs) + 1) * job.intervalMs - now + Math.floor(Math.random() * 50);
    timers.set(job.name, setTimeout(() => void loop(job), delay));
  }

  async function loop(job: ScheduledJob): Promise<void> {
    if (stopped) return;
    const p = tick(job, true);
    running.add(p);
    await p;
    running.delete(p);
    schedule(job);
  }

  return {
    start() {
      for (const job of options.jobs) void loop(job);
    },
    async runOnce() {
      const out: Record<string, TickResult> = {};
      for (const job of options.jobs) {
        const r = await tick(job, false);
        if (r) out[job.name] = r;
      }
      return out;
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await Promise.all([...running]);
    },
  };
}

async function recordTick(db: Db, job: string, startedAt: Date, r: TickResult): Promise<void> {
  await db.query(
    `INSERT INTO scheduler_ticks (job, started_at, finished_at, found, published, failed)
     VALUES ($1, $2, now(), $3, $4, $5)
     ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
       found = excluded.found, published = excluded.published, failed = excluded.failed`,
    [job, startedAt.toISOString(), r.found, r.published, r.failed],
  );
}
