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
// Markers (migration 0015), written here with status_before set so that the triggers skip the
// row: a 'queued' or 'processing' summary is never current, so the diary needs its summary; a mark
// that replaced a done or failed summary changed the month's inputs (one version step, as
// diary_month_touch counts, and the month's marker from its summary row with the new inputs). The
// diary is written once (diary), for its marker and the spent announcement together.
export const SET_DAILY_STATUS = `
WITH input AS (
       SELECT 1 FROM diaries
        WHERE user_id = $1::uuid AND date = $2::date
          FOR UPDATE),
     mark AS (
       INSERT INTO diary_summary_days AS s (user_id, date, status, status_before)
       SELECT $1::uuid, $2::date, $3::text, '' FROM input
       ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now(), status_before = s.status
        WHERE s.status IS DISTINCT FROM excluded.status
       RETURNING updated_at, status_before),
     diary AS (
       UPDATE diaries
          SET needs_daily_summary = needs_daily_summary OR EXISTS (SELECT 1 FROM mark),
              announced_at = CASE WHEN $3::text = 'queued' THEN NULL ELSE announced_at END,
              announced_via = CASE WHEN $3::text = 'queued' THEN NULL ELSE announced_via END,
              reannounce_at = CASE WHEN $3::text = 'queued' THEN NULL ELSE reannounce_at END
        WHERE user_id = $1::uuid AND date = $2::date
          AND (($3::text = 'queued' AND announced_at IS NOT NULL) OR (NOT needs_daily_summary AND EXISTS (SELECT 1 FROM mark))))
INSERT INTO diary_months AS m (user_id, year, month, inputs_updated_at, inputs_version, needs_monthly_summary)
SELECT $1::uuid, extract(year FROM $2::date)::int, extract(month FROM $2::date)::int, mark.updated_at, 1,
       NOT EXISTS (SELECT 1 FROM diary_summary_months ms LEFT JOIN user_llms l ON l.user_id = ms.user_id
                    WHERE ms.user_id = $1::uuid AND ms.year = extract(year FROM $2::date)::int
                      AND ms.month = extract(month FROM $2::date)::int
                      AND diary_summary_is_current(ms.status, ms.updated_at, ms.source_version, mark.updated_at, 1, l.updated_at))
  FROM mark
 WHERE mark.status_before IN ('done', 'failed')
ON CONFLICT (user_id, year, month) DO UPDATE SET
  inputs_updated_at = greatest(m.inputs_updated_at, excluded.inputs_updated_at),
  inputs_version = m.inputs_version + 1,
  needs_monthly_summary = NOT EXISTS (
    SELECT 1 FROM diary_summary_months ms LEFT JOIN user_llms l ON l.user_id = ms.user_id
     WHERE ms.user_id = m.user_id AND ms.year = m.year AND ms.month = m.month
       AND diary_summary_is_current(ms.status, ms.updated_at, ms.source_version,
                                    greatest(m.inputs_updated_at, excluded.inputs_updated_at), m.inputs_version + 1, l.updated_at))`;
