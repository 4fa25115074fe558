// SET_MONTHLY_STATUS: sets a month's summary status (the API's 'queued' on request), keeping any
// stored result; nothing happens when the month has no diary_months row.
//
// Parameters: $1 user_id uuid, $2 year int, $3 month int, $4 status text ('queued' or 'processing').
// Returns: no rows.
// Index: diary_months primary key; diary_summary_months (user_id, year, month) unique (the upsert).
// The diary_months row is locked before the summary row is written: the lock order of every
// summary write. A row already at the status is left untouched. Commits synchronously.
// 'queued' also spends the scheduler's announcement (see SET_DAILY_STATUS).
// Markers (migration 0015), written here with status_before set so that the summary triggers
// skip the row: a 'queued' or 'processing' summary is never current, so the month needs its
// summary; the month row is written once (month), for its marker and the spent announcement.
export const SET_MONTHLY_STATUS = `
WITH input AS (
       SELECT 1 FROM diary_months
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int
          FOR UPDATE),
     mark AS (
       INSERT INTO diary_summary_months AS s (user_id, year, month, status, status_before)
       SELECT $1::uuid, $2::int, $3::int, $4::text, '' FROM input
       ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now(), status_before = s.status
        WHERE s.status IS DISTINCT FROM excluded.status
       RETURNING 1)
UPDATE diary_months
   SET needs_monthly_summary = needs_monthly_summary OR EXISTS (SELECT 1 FROM mark),
       announced_at = CASE WHEN $4::text = 'queued' THEN NULL ELSE announced_at END,
       announced_via = CASE WHEN $4::text = 'queued' THEN NULL ELSE announced_via END,
       reannounce_at = CASE WHEN $4::text = 'queued' THEN NULL ELSE reannounce_at END
 WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int
   AND (($4::text = 'queued' AND announced_at IS NOT NULL) OR (NOT needs_monthly_summary AND EXISTS (SELECT 1 FROM mark)))`;
