// START_DAILY_JOB: starts a daily job in one round trip — reads the diary and the user's LLM
// settings and, when there is work, locks the diary and marks its summary 'processing'.
//
// Parameters: $1 user_id uuid, $2 date date, $3 min_chars int (SUMMARY_MIN_CHARS), $4 force boolean
//   (a manual request: redo a current summary).
// Returns: no row when there is no diary; else one row: content text, content_chars int, version int,
//   needs_daily_summary boolean, due boolean (false: nothing was locked or marked), llm_provider,
//   llm_model, llm_base_url, llm_api_key_encrypted text (all NULL without a user_llms row), and
//   set_config (ignored).
// Index: diaries (user_id, date) unique; diary_summary_days (user_id, date) unique (the upsert);
//   user_llms primary key.
// The diary is read from the statement's snapshot (d) and locked (input) only when due, before the
// summary row is written: the lock order of every summary write. The mark leaves a row already
// 'processing' untouched and keeps any stored result. set_config turns synchronous_commit off for
// this transaction only (see "Asynchronous commit" in ../summaries.ts).
export const START_DAILY_JOB = `
WITH d AS (
       SELECT content, content_chars, version, needs_daily_summary,
              content_chars >= $3::int AND (needs_daily_summary OR $4::boolean) AS due
         FROM diaries
        WHERE user_id = $1::uuid AND date = $2::date),
     input AS (
       SELECT 1 FROM diaries
        WHERE user_id = $1::uuid AND date = $2::date AND (SELECT due FROM d)
          FOR UPDATE),
     mark AS (
       INSERT INTO diary_summary_days AS s (user_id, date, status)
       SELECT $1::uuid, $2::date, 'processing' FROM input
       ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now()
        WHERE s.status IS DISTINCT FROM excluded.status)
SELECT d.*,
       l.provider AS llm_provider, l.model AS llm_model, l.base_url AS llm_base_url,
       l.api_key_encrypted AS llm_api_key_encrypted,
       set_config('synchronous_commit', 'off', true)
  FROM d LEFT JOIN user_llms l ON l.user_id = $1::uuid`;
