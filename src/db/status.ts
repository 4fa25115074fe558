// Counts for `diary-events status` and the dashboard: summaries by status.
import type { Queryable } from './db.js';

/** Summary rows by kind and status (a full count: for operators, not for hot paths). */
export async function summaryCounts(db: Queryable): Promise<Array<{ kind: string; status: string; count: number }>> {
  return db.query(
    `SELECT 'daily' AS kind, status, count(*)::int AS count FROM diary_summary_days GROUP BY status
     UNION ALL
     SELECT 'monthly', status, count(*)::int FROM diary_summary_months GROUP BY status
     ORDER BY 1, 2`,
  );
}
