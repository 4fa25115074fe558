// The scheduler's target queries: which days and months need a summary now (DESIGN.md "Targets").
//
// Both read only rows the triggers of migration 0002 keep marked as lacking a current summary,
// through partial indexes, so their cost follows the number of due targets, not the table sizes.
import type { Queryable } from './db.js';

export interface TargetQueryOptions {
  /** "Today" and "this month" are computed for this instant in each user's time zone. */
  now: Date;
  /** Time zone of users whose `timezone` is NULL (DEFAULT_TIMEZONE). */
  defaultTimezone: string;
  /** SUMMARY_MIN_CHARS. */
  minChars: number;
  /** At most this many rows per call; page with `after`. */
  limit: number;
}

export interface DailyTarget {
  user_id: string;
  date: string;
}
export interface MonthlyTarget {
  user_id: string;
  year: number;
  month: number;
}

/**
 * Days before today (user's zone) of users with auto daily on, whose diary has at least
 * `minChars` characters and no current daily summary.
 * Index: diaries_daily_due_idx (content_chars, date) WHERE needs_daily_summary — a range scan on
 * content_chars >= minChars; users and user_llms by primary key per candidate.
 */
export async function findDailyTargets(
  db: Queryable,
  opts: TargetQueryOptions,
  after?: DailyTarget,
): Promise<DailyTarget[]> {
  return db.query<DailyTarget>(
    `SELECT d.user_id::text AS user_id, d.date::text AS date
       FROM diaries d
       JOIN users u ON u.id = d.user_id
       LEFT JOIN user_llms l ON l.user_id = d.user_id
      WHERE d.needs_daily_summary
        AND d.content_chars >= $1::int
        AND coalesce(l.auto_summary_daily, true)
        AND d.date < ($2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
        AND ($5::date IS NULL OR (d.date, d.user_id) > ($5::date, $6::uuid))
      ORDER BY d.date, d.user_id
      LIMIT $4::int`,
    [opts.minChars, opts.now.toISOString(), opts.defaultTimezone, opts.limit, after?.date ?? null, after?.user_id ?? null],
  );
}

/**
 * Months before the user's current month, of users with auto monthly on, with at least one diary,
 * no current monthly summary, and no day that is still a daily target.
 * Index: diary_months_due_idx (year, month, user_id) WHERE needs_monthly_summary, in ORDER BY order; per candidate, the unique
 * (user_id, date) index proves a diary exists and diaries_pending_by_user_idx finds pending days.
 */
export async function findMonthlyTargets(
  db: Queryable,
  opts: TargetQueryOptions,
  after?: MonthlyTarget,
): Promise<MonthlyTarget[]> {
  return db.query<MonthlyTarget>(
    `SELECT m.user_id::text AS user_id, m.year, m.month
       FROM diary_months m
       JOIN users u ON u.id = m.user_id
       LEFT JOIN user_llms l ON l.user_id = m.user_id
       CROSS JOIN LATERAL (SELECT make_date(m.year, m.month, 1) AS first_day) f
      WHERE m.needs_monthly_summary
        AND coalesce(l.auto_summary_monthly, true)
        AND f.first_day < date_trunc('month', $1::timestamptz AT TIME ZONE coalesce(u.timezone, $2::text))::date
        AND EXISTS (SELECT 1 FROM diaries d
                     WHERE d.user_id = m.user_id AND d.date >= f.first_day
                       AND d.date < (f.first_day + interval '1 month')::date)
        AND NOT EXISTS (SELECT 1 FROM diaries d
                         WHERE d.needs_daily_summary AND d.user_id = m.user_id
                           AND d.date >= f.first_day AND d.date < (f.first_day + interval '1 month')::date
                           AND d.content_chars >= $3::int
                           AND coalesce(l.auto_summary_daily, true))
        AND ($5::int IS NULL OR (m.year, m.month, m.user_id) > ($5::int, $6::int, $7::uuid))
      ORDER BY m.year, m.month, m.user_id
      LIMIT $4::int`,
    [
      opts.now.toISOString(), opts.defaultTimezone, opts.minChars, opts.limit,
      after?.year ?? null, after?.month ?? null, after?.user_id ?? null,
    ],
  );
}
