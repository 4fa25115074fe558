// READ_MONTHLY_INPUT: a month's inputs in one round trip — its marker row and each of its diaries,
// as the day's current daily summary when there is one, else as the raw text.
//
// Parameters: $1 user_id uuid, $2 year int, $3 month int.
// Returns: no row when the month has no diary_months row; else one row per diary in date order
//   (one row with date, content and summary NULL when the month has no diaries left):
//   inputs_version bigint, needs_monthly_summary boolean, date text, content text,
//   summary text (NULL: use content).
// Index: diary_months primary key; diaries (user_id, date) unique, range scan;
//   diary_summary_days (user_id, date) unique.
export const READ_MONTHLY_INPUT = `
SELECT m.inputs_version, m.needs_monthly_summary, e.date, e.content, e.summary
  FROM diary_months m
  LEFT JOIN LATERAL (
       SELECT d.date::text AS date, d.content,
              CASE WHEN NOT d.needs_daily_summary AND s.status = 'done' AND s.summary <> ''
                   THEN s.summary END AS summary
         FROM diaries d
         LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date
        WHERE d.user_id = m.user_id AND d.date >= make_date(m.year, m.month, 1)
          AND d.date < (make_date(m.year, m.month, 1) + interval '1 month')::date) e ON true
 WHERE m.user_id = $1 AND m.year = $2 AND m.month = $3
 ORDER BY e.date`;
