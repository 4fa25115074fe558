// Jobs finished per minute over the last hour, from the summary tables themselves, so the chart
// covers every subscriber process (not just the one serving the dashboard).
import type { Queryable } from './db.js';

export interface ThroughputRow {
  minute: Date;
  done: number;
  failed: number;
}

export interface Throughput {
  /** The database's now(): the hour ends here (the rows' times are the database's too). */
  until: Date;
  rows: ThroughputRow[];
}

/** Index: diary_summary_{days,months} (updated_at), range scan of the last hour (migration 0003). */
export async function throughputLastHour(db: Queryable): Promise<Throughput> {
  const rows = await db.query<ThroughputRow & { until: Date }>(
    `WITH finished AS (
       SELECT updated_at, status FROM diary_summary_days
        WHERE updated_at >= now() - interval '1 hour' AND status IN ('done', 'failed')
       UNION ALL
       SELECT updated_at, status FROM diary_summary_months
        WHERE updated_at >= now() - interval '1 hour' AND status IN ('done', 'failed')),
     per_minute AS (
       SELECT date_trunc('minute', updated_at) AS minute,
              count(*) FILTER (WHERE status = 'done')::int AS done,
              count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM finished GROUP BY 1)
     SELECT now() AS until, p.minute, p.done, p.failed
       FROM (SELECT 1) one LEFT JOIN per_minute p ON true
      ORDER BY p.minute`,
  );
  return {
    until: (rows[0] as { until: Date }).until,
    rows: rows.filter((r) => r.minute !== null).map(({ minute, done, failed }) => ({ minute, done, failed })),
  };
}
