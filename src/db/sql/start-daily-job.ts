// START_DAILY_JOBS: starts daily jobs in one statement — reads each diary and its user's LLM
// settings and, when there is work, locks the diary and marks its summary 'processing'.
//
// Parameters (arrays of equal length, one element per job; a (user_id, date) may appear once):
//   $1 user_id uuid[], $2 date date[], $3 min_chars int[] (SUMMARY_MIN_CHARS), $4 force boolean[]
//   (a manual request: redo a current summary).
// Returns: one row per job whose diary exists: n bigint (its 1-based position in the arrays),
//   content text, content_chars int, version int, needs_daily_summary boolean, due boolean (false:
//   nothing was locked or marked), llm_provider, llm_model, llm_base_url, llm_api_key_encrypted text
//   (all NULL without a user_llms row), and set_config (ignored).
// Index: diaries (user_id, date) unique; diary_summary_days (user_id, date) unique (the upsert);
//   diary_months primary key; user_llms primary key.
// The diaries are read from the statement's snapshot (d) and locked (input) only when due, in key
// order, before their summary rows are written: the lock order of every summary write; their
// months come after all of them. The mark leaves a row already 'processing' untouched and keeps
// any stored result. set_config turns synchronous_commit off for this transaction only (see
// "Asynchronous commit" in ../summaries.ts).
// Markers (migration 0015), written here with status_before set so that the triggers skip these
// rows: a 'processing' summary is never current, so the diary needs its summary (marked); a mark
// that replaced a done or failed summary changed the month's inputs (touched: one version step,
// as diary_month_touch counts, and the month's marker from its summary row with the new inputs).
export const START_DAILY_JOBS = `
WITH v AS (
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::int[], $4::boolean[]) WITH ORDINALITY
                  AS v(user_id, date, min_chars, force, n)),
     d AS (
       SELECT v.n, i.user_id, i.date, i.content, i.content_chars, i.version, i.needs_daily_summary,
              i.content_chars >= v.min_chars AND (i.needs_daily_summary OR v.force) AS due
         FROM v JOIN diaries i ON i.user_id = v.user_id AND i.date = v.date),
     input AS (
       SELECT i.user_id, i.date
         FROM diaries i JOIN d ON d.user_id = i.user_id AND d.date = i.date AND d.due
        ORDER BY i.user_id, i.date
          FOR UPDATE OF i),
     mark AS (
       INSERT INTO diary_summary_days AS s (user_id, date, status, status_before)
       SELECT user_id, date, 'processing', '' FROM input
        ORDER BY user_id, date
       ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now(), status_before = s.status
        WHERE s.status IS DISTINCT FROM excluded.status
       RETURNING user_id, date, updated_at, status_before),
     marked AS (
       UPDATE diaries i SET needs_daily_summary = true
         FROM mark
        WHERE i.user_id = mark.user_id AND i.date = mark.date AND NOT i.needs_daily_summary),
     settled AS (
       SELECT user_id, extract(year FROM date)::int AS year, extract(month FROM date)::int AS month,
              max(updated_at) AS at, count(*) AS steps
         FROM mark
        WHERE status_before IN ('done', 'failed')
        GROUP BY 1, 2, 3),
     touched AS (
       INSERT INTO diary_months AS m (user_id, year, month, inputs_updated_at, inputs_version, needs_monthly_summary)
       SELECT t.user_id, t.year, t.month, t.at, t.steps,
              NOT EXISTS (SELECT 1 FROM diary_summary_months ms LEFT JOIN user_llms l ON l.user_id = ms.user_id
                           WHERE ms.user_id = t.user_id AND ms.year = t.year AND ms.month = t.month
                             AND diary_summary_is_current(ms.status, ms.updated_at, ms.source_version, t.at, t.steps, l.updated_at))
         FROM settled t
        ORDER BY t.user_id, t.year, t.month
       ON CONFLICT (user_id, year, month) DO UPDATE SET
         inputs_updated_at = greatest(m.inputs_updated_at, excluded.inputs_updated_at),
         inputs_version = m.inputs_version + excluded.inputs_version,
         needs_monthly_summary = NOT EXISTS (
           SELECT 1 FROM diary_summary_months ms LEFT JOIN user_llms l ON l.user_id = ms.user_id
            WHERE ms.user_id = m.user_id AND ms.year = m.year AND ms.month = m.month
              AND diary_summary_is_current(ms.status, ms.updated_at, ms.source_version,
                                           greatest(m.inputs_updated_at, excluded.inputs_updated_at),
                                           m.inputs_version + excluded.inputs_version, l.updated_at)))
SELECT d.n, d.content, d.content_chars, d.version, d.needs_daily_summary, d.due,
       l.provider AS llm_provider, l.model AS llm_model, l.base_url AS llm_base_url,
       l.api_key_encrypted AS llm_api_key_encrypted,
       set_config('synchronous_commit', 'off', true)
  FROM d LEFT JOIN user_llms l ON l.user_id = d.user_id`;
