// The scheduler's row per job: the interval slot that last ran (one tick per slot across replicas)
// and what the last tick did (for `status` and the dashboard).
import type { Queryable } from './db.js';

export interface TickRow {
  job: string;
  started_at: Date;
  finished_at: Date | null;
  found: number;
  published: number;
  failed: number;
}

export interface TickCounts {
  found: number;
  published: number;
  failed: number;
}

/**
 * Takes the slot starting at `slotStart` for `job`: true for the one caller that moves the job's
 * slot forward, false when this slot (or a later one) already ran. Upsert on scheduler_ticks.job.
 */
export async function claimSlot(db: Queryable, job: string, slotStart: Date): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO scheduler_ticks AS t (job, slot_start) VALUES ($1, $2)
     ON CONFLICT (job) DO UPDATE SET slot_start = excluded.slot_start WHERE t.slot_start < excluded.slot_start
     RETURNING job`,
    [job, slotStart.toISOString()],
  );
  return rows.length > 0;
}

/** Records a finished tick. Upsert on scheduler_ticks.job. */
export async function recordTick(db: Queryable, job: string, startedAt: Date, r: TickCounts): Promise<void> {
  await db.query(
    `INSERT INTO scheduler_ticks (job, started_at, finished_at, found, published, failed)
     VALUES ($1, $2, now(), $3, $4, $5)
     ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
       found = excluded.found, published = excluded.published, failed = excluded.failed`,
    [job, startedAt.toISOString(), r.found, r.published, r.failed],
  );
}

/** Every job's row, by name (a handful of rows: one per scheduler job). */
export async function lastTicks(db: Queryable): Promise<TickRow[]> {
  return db.query<TickRow>('SELECT job, started_at, finished_at, found, published, failed FROM scheduler_ticks ORDER BY job');
}
