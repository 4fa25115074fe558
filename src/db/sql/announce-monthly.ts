// The monthly target queries of the announcing scheduler (issue 21, migration 0009), as
// announce-daily.ts. Common filters as findMonthlyTargets (src/db/targets.ts): auto monthly on, a
// month before the user's current one, with a diary and no day still a daily target.
// Rows: user_id text, year int, month int.

/**
 * MONTHLY_FRESH: due months never announced (or handled since), oldest first.
 * Parameters: $1 min chars int, $2 now timestamptz, $3 default zone text, $4 limit int,
 * $5/$6/$7 cursor (year, month, user_id) or NULL.
 * Index: diary_months_unannounced_idx (year, month, user_id) in ORDER BY order.
 */
export const MONTHLY_FRESH = `
SELECT m.user_id::text AS user_id, m.year, m.month
  FROM diary_months m
  JOIN users u ON u.id = m.user_id
  LEFT JOIN user_llms l ON l.user_id = m.user_id
  CROSS JOIN LATERAL (SELECT make_date(m.year, m.month, 1) AS first_day) f
 WHERE m.needs_monthly_summary AND m.announced_at IS NULL
   AND coalesce(l.auto_summary_monthly, true)
   AND f.first_day < date_trunc('month', $2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
   AND EXISTS (SELECT 1 FROM diaries d
                WHERE d.user_id = m.user_id AND d.date >= f.first_day
                  AND d.date < (f.first_day + interval '1 month')::date)
   AND NOT EXISTS (SELECT 1 FROM diaries d
                    WHERE d.needs_daily_summary AND d.user_id = m.user_id
                      AND d.date >= f.first_day AND d.date < (f.first_day + interval '1 month')::date
                      AND d.content_chars >= $1::int
                      AND coalesce(l.auto_summary_daily, true))
   AND ($5::int IS NULL OR (m.year, m.month, m.user_id) > ($5::int, $6::int, $7::uuid))
 ORDER BY m.year, m.month, m.user_id
 LIMIT $4::int`;

/** MONTHLY_OVERDUE: as DAILY_OVERDUE. Index: diary_months_reannounce_idx (reannounce_at). */
export const MONTHLY_OVERDUE = `
SELECT m.user_id::text AS user_id, m.year, m.month
  FROM diary_months m
  JOIN users u ON u.id = m.user_id
  LEFT JOIN user_llms l ON l.user_id = m.user_id
  CROSS JOIN LATERAL (SELECT make_date(m.year, m.month, 1) AS first_day) f
 WHERE m.needs_monthly_summary AND m.announced_at IS NOT NULL
   AND m.reannounce_at <= $2::timestamptz
   AND coalesce(l.auto_summary_monthly, true)
   AND f.first_day < date_trunc('month', $2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
   AND EXISTS (SELECT 1 FROM diaries d
                WHERE d.user_id = m.user_id AND d.date >= f.first_day
                  AND d.date < (f.first_day + interval '1 month')::date)
   AND NOT EXISTS (SELECT 1 FROM diaries d
                    WHERE d.needs_daily_summary AND d.user_id = m.user_id
                      AND d.date >= f.first_day AND d.date < (f.first_day + interval '1 month')::date
                      AND d.content_chars >= $1::int
                      AND coalesce(l.auto_summary_daily, true))
 ORDER BY m.reannounce_at
 LIMIT $4::int`;

/** MONTHLY_LOST: as DAILY_LOST ($5 via, $6 lost at). Index: diary_months_announced_idx. */
export const MONTHLY_LOST = `
SELECT m.user_id::text AS user_id, m.year, m.month
  FROM diary_months m
  JOIN users u ON u.id = m.user_id
  LEFT JOIN user_llms l ON l.user_id = m.user_id
  CROSS JOIN LATERAL (SELECT make_date(m.year, m.month, 1) AS first_day) f
 WHERE m.needs_monthly_summary AND m.announced_at IS NOT NULL
   AND m.announced_via = $5::text AND m.announced_at <= $6::timestamptz
   AND coalesce(l.auto_summary_monthly, true)
   AND f.first_day < date_trunc('month', $2::timestamptz AT TIME ZONE coalesce(u.timezone, $3::text))::date
   AND EXISTS (SELECT 1 FROM diaries d
                WHERE d.user_id = m.user_id AND d.date >= f.first_day
                  AND d.date < (f.first_day + interval '1 month')::date)
   AND NOT EXISTS (SELECT 1 FROM diaries d
                    WHERE d.needs_daily_summary AND d.user_id = m.user_id
                      AND d.date >= f.first_day AND d.date < (f.first_day + interval '1 month')::date
                      AND d.content_chars >= $1::int
                      AND coalesce(l.auto_summary_daily, true))
 ORDER BY m.announced_via, m.announced_at
 LIMIT $4::int`;

/** MARK_MONTHLY_ANNOUNCED: as MARK_DAILY_ANNOUNCED with $4 years int[], $5 months int[], $6 reannounce_at[]. */
export const MARK_MONTHLY_ANNOUNCED = `
UPDATE diary_months m
   SET announced_at = $1::timestamptz, announced_via = $2::text, reannounce_at = v.again
  FROM unnest($3::uuid[], $4::int[], $5::int[], $6::timestamptz[]) AS v(user_id, year, month, again)
 WHERE m.user_id = v.user_id AND m.year = v.year AND m.month = v.month`;

/** UNMARK_MONTHLY: $1 uuid[], $2 years int[], $3 months int[]. */
export const UNMARK_MONTHLY = `
UPDATE diary_months m
   SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
  FROM unnest($1::uuid[], $2::int[], $3::int[]) AS v(user_id, year, month)
 WHERE m.user_id = v.user_id AND m.year = v.year AND m.month = v.month`;
