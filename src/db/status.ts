// Counts for `diary-events status` and the dashboard: summaries by status, last scheduler ticks.
import type { Queryable } from './db.js';

export interface TickRow {
  job: string;
  started_at: Date;
  finished_at: Date | null;
  found: number;
  published: number;
  failed: number;
}

export async function lastTicks(db: Queryable): Promise<TickRow[]> {
  return db.query<TickRow>('SELECT job, started_at, finished_at, found, published, failed FROM scheduler_ticks ORDER BY job');
}

/** Summary rows by kind and status (a full count: for operators, not for hot paths). */
export async function summaryCounts(db: Queryable): Promise<Array<{ kind: string; status: string; count: number }>> {
  return db.query(
    `SELECT 'daily' AS kind, status, count(*)::int AS count FROM diary_summary_days GROUP BY status
     UNION ALL
     SELECT 'monthly', status, count(*)::int FROM diary_summary_months GROUP BY status
     ORDER BY 1, 2`,
  );
}
