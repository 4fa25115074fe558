// Jobs finished per minute over the last hour, from the summary tables themselves, so the chart
// covers every subscriber process (not just the one serving the dashboard).
import type { Queryable } from './db.js';

export interface ThroughputRow {
  minute: Date;
  done: number;
  failed: number;
}

/** Index: diary_summary_{days,months} (updated_at), range scan of the last hour (migration 0003). */
export async function throughputLastHour(db: Queryable): Promise<ThroughputRow[]> {
  return db.query<ThroughputRow>(
    `WITH finished AS (
       SELECT updated_at, status FROM diary_summary_days
        WHERE updated_at >= now() - interval '1 hour' AND status IN ('done', 'failed')
       UNION ALL
       SELECT updated_at, status FROM diary_summary_months
        WHERE updated_at >= now() - interval '1 hour' AND status IN ('done', 'failed'))
     SELECT date_trunc('minute', updated_at) AS minute,
            count(*) FILTER (WHERE status = 'done')::int AS done,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM finished GROUP BY 1 ORDER BY 1`,
  );
}
