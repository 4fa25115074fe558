// MARK_MONTHLY_PROCESSING: locks a month's diary_months row, marks its summary 'processing' and
// reads the user's LLM settings, in one round trip.
//
// Parameters: $1 user_id uuid, $2 year int, $3 month int.
// Returns: no row when the month no longer exists (nothing marked); else one row: llm_provider,
//   llm_model, llm_base_url, llm_api_key_encrypted text (all NULL without a user_llms row), and
//   set_config (ignored).
// Index: diary_months primary key; diary_summary_months (user_id, year, month) unique (the upsert);
//   user_llms primary key.
// The input row is locked before the summary row is written: the lock order of every summary
// write. The mark leaves a row already 'processing' untouched and keeps any stored result.
// set_config turns synchronous_commit off for this transaction only (see "Asynchronous commit"
// in ../summaries.ts).
// Markers (migration 0015): a 'processing' summary is never current, so the month needs its
// summary (marked, written here; status_before tells the summary triggers to skip the row).
export const MARK_MONTHLY_PROCESSING = `
WITH input AS (
       SELECT 1 FROM diary_months
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int
          FOR UPDATE),
     mark AS (
       INSERT INTO diary_summary_months AS s (user_id, year, month, status, status_before)
       SELECT $1::uuid, $2::int, $3::int, 'processing', '' FROM input
       ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now(), status_before = s.status
        WHERE s.status IS DISTINCT FROM excluded.status
       RETURNING user_id, year, month),
     marked AS (
       UPDATE diary_months m SET needs_monthly_summary = true
         FROM mark
        WHERE m.user_id = mark.user_id AND m.year = mark.year AND m.month = mark.month AND NOT m.needs_monthly_summary)
SELECT l.provider AS llm_provider, l.model AS llm_model, l.base_url AS llm_base_url,
       l.api_key_encrypted AS llm_api_key_encrypted,
       set_config('synchronous_commit', 'off', true)
  FROM input LEFT JOIN user_llms l ON l.user_id = $1::uuid`;
