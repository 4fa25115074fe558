// SET_MONTHLY_STATUS: sets a month's summary status (the API's 'queued' on request), keeping any
// stored result; nothing happens when the month has no diary_months row.
//
// Parameters: $1 user_id uuid, $2 year int, $3 month int, $4 status text ('queued' or 'processing').
// Returns: no rows.
// Index: diary_months primary key; diary_summary_months (user_id, year, month) unique (the upsert).
// The diary_months row is locked before the summary row is written: the lock order of every
// summary write. A row already at the status is left untouched. Commits synchronously.
// 'queued' also spends the scheduler's announcement (see SET_DAILY_STATUS).
export const SET_MONTHLY_STATUS = `
WITH input AS (
       SELECT 1 FROM diary_months
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int
          FOR UPDATE),
     spent AS (
       UPDATE diary_months SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int AND $4::text = 'queued' AND announced_at IS NOT NULL)
INSERT INTO diary_summary_months AS s (user_id, year, month, status)
SELECT $1::uuid, $2::int, $3::int, $4::text FROM input
ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now()
 WHERE s.status IS DISTINCT FROM excluded.status`;
