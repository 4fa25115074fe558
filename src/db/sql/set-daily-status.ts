// SET_DAILY_STATUS: sets a day's summary status (the API's 'queued' on save or on request),
// keeping any stored result; nothing happens when the diary does not exist.
//
// Parameters: $1 user_id uuid, $2 date date, $3 status text ('queued' or 'processing').
// Returns: no rows.
// Index: diaries (user_id, date) unique; diary_summary_days (user_id, date) unique (the upsert).
// The diary row is locked before the summary row is written: the lock order of every summary
// write. A row already at the status is left untouched. Commits synchronously.
// 'queued' also spends the scheduler's announcement (migration 0009): the job was handled (a
// deferred or superseded run) or a user queued it, so the next tick may publish it again — even
// when the row was 'queued' already and is not written.
export const SET_DAILY_STATUS = `
WITH input AS (
       SELECT 1 FROM diaries
        WHERE user_id = $1::uuid AND date = $2::date
          FOR UPDATE),
     spent AS (
       UPDATE diaries SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
        WHERE user_id = $1::uuid AND date = $2::date AND $3::text = 'queued' AND announced_at IS NOT NULL)
INSERT INTO diary_summary_days AS s (user_id, date, status)
SELECT $1::uuid, $2::date, $3::text FROM input
ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now()
 WHERE s.status IS DISTINCT FROM excluded.status`;
