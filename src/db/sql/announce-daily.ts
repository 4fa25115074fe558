// The daily target queries of the announcing scheduler (issue 21, migration 0009). Each reads at
// most one page through a partial index, so a tick's cost follows what it admits, not the backlog.
// Common filters as findDailyTargets (src/db/targets.ts): auto daily on, content ≥ $1 characters,
// a day before today in the user's zone. Rows: user_id text, date text.

/**
 * DAILY_FRESH: due days never announced (or handled since), oldest first.
 * Parameters: $1 min chars int, $2 now timestamptz, $3 default zone text, $4 limit int,
 * $5/$6 cursor (date, user_id) or NULL.
 * Index: diaries_unannounced_idx (date, user_id) in ORDER BY order; the range stops at the latest
 * "today" on Earth (UTC+14), so days not due anywhere yet are never read.
 */
export const DAILY_FRESH = `
SELECT d.user_id::text AS user_id, d.date::text AS date
  FROM diaries d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN user_llms l ON l.user_id = d.user_id
 WHERE d.needs_daily_summary AND d.announced_at IS NULL
   AND d.date < ((($2::timestamptz AT TIME ZONE 'UTC') + interval '14 hours')::date)
   AND d.content_chars >= $1::int
   AND coalesce(l.auto_summary_daily, true)
   AND d.date < ($2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
   AND ($5::date IS NULL OR (d.date, d.user_id) > ($5::date, $6::uuid))
 ORDER BY d.date, d.user_id
 LIMIT $4::int`;

/**
 * DAILY_OVERDUE: announced days whose window has passed ($2 ≥ reannounce_at), longest overdue first.
 * Parameters as DAILY_FRESH without the cursor. Index: diaries_reannounce_idx (reannounce_at).
 */
export const DAILY_OVERDUE = `
SELECT d.user_id::text AS user_id, d.date::text AS date
  FROM diaries d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN user_llms l ON l.user_id = d.user_id
 WHERE d.needs_daily_summary AND d.announced_at IS NOT NULL
   AND d.reannounce_at <= $2::timestamptz
   AND d.content_chars >= $1::int
   AND coalesce(l.auto_summary_daily, true)
   AND d.date < ($2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
 ORDER BY d.reannounce_at
 LIMIT $4::int`;

/**
 * DAILY_LOST: days announced through transport $5 at or before $6, when a subscriber reported
 * dropping messages: their announcement may be among the lost.
 * Parameters as DAILY_OVERDUE, plus $5 via text, $6 lost at timestamptz.
 * Index: diaries_announced_idx (announced_via, announced_at).
 */
export const DAILY_LOST = `
SELECT d.user_id::text AS user_id, d.date::text AS date
  FROM diaries d
  JOIN users u ON u.id = d.user_id
  LEFT JOIN user_llms l ON l.user_id = d.user_id
 WHERE d.needs_daily_summary AND d.announced_at IS NOT NULL
   AND d.announced_via = $5::text AND d.announced_at <= $6::timestamptz
   AND d.content_chars >= $1::int
   AND coalesce(l.auto_summary_daily, true)
   AND d.date < ($2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
 ORDER BY d.announced_via, d.announced_at
 LIMIT $4::int`;

/**
 * MARK_DAILY_ANNOUNCED: records an announcement before its publish (a subscriber's write that
 * follows the publish then always clears it). Parameters: $1 at timestamptz, $2 via text,
 * $3 user ids uuid[], $4 dates date[], $5 reannounce_at timestamptz[]. Index: diaries (user_id, date) unique.
 */
export const MARK_DAILY_ANNOUNCED = `
UPDATE diaries d
   SET announced_at = $1::timestamptz, announced_via = $2::text, reannounce_at = v.again
  FROM unnest($3::uuid[], $4::date[], $5::timestamptz[]) AS v(user_id, date, again)
 WHERE d.user_id = v.user_id AND d.date = v.date`;

/** UNMARK_DAILY: publishes that failed are not announcements. Parameters: $1 uuid[], $2 date[]. */
export const UNMARK_DAILY = `
UPDATE diaries d
   SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
  FROM unnest($1::uuid[], $2::date[]) AS v(user_id, date)
 WHERE d.user_id = v.user_id AND d.date = v.date`;
