// SAVE_DAILY_OUTCOMES: stores the outcomes of daily jobs in one statement, each only if its diary
// is still at the version the job read; a failure never replaces a done summary of that version.
//
// Parameters (arrays of equal length, one element per outcome; a (user_id, date) may appear once):
//   $1 user_id uuid[], $2 date date[], $3 version bigint[] (diaries.version the job read),
//   $4 status text[], $5 summary text[], $6 model text[], $7 error text[] (NULL: none),
//   $8 input_tokens int[], $9 output_tokens int[] (NULL: keep the stored count),
//   and the attempt to record in job_attempts: $10 message_id text[], $11 trigger text[],
//   $12 subscriber text[], $13 delivery_count int[] (NULL: record no attempt), $14 queued_ms bigint[],
//   $15 running_ms bigint[], $16 error_class text[], $17 batch boolean[] (the answer came from a
//   provider batch, at batch price; NULL: false), counted in llm_token_usage.
// Returns: one row per stored outcome: n bigint (its 1-based position in the arrays), and
//   set_config (ignored).
// Index: diaries (user_id, date) unique; diary_summary_days (user_id, date) unique (the upsert).
// The attempt row goes in with the outcome (one statement, one commit): `superseded` when the
// outcome was not stored because the diary changed meanwhile; none for a user deleted meanwhile.
// The diaries are locked in key order (input), and their months after all of them, in key order
// too, so concurrent batches cannot deadlock. A failure keeps the last good summary text and
// model; a success replaces them and resets attempts. set_config turns synchronous_commit off for
// this transaction only (see "Asynchronous commit" in ../summaries.ts).
// Markers (migration 0015): the statement writes them itself, and status_before tells the triggers
// to leave these rows alone. marked: the diary's needs_daily_summary from the row just written, the
// locked diary and the user's settings (diary_summary_is_current), and its announcement spent when
// the job ended (what the clear_announcement trigger did). touched: a write that settled or
// unsettled a summary (diary_summary_write_settles, old status from status_before) changed its
// month's inputs: one version step per such day, as diary_month_touch counts, and the month's
// marker from its summary row with the new inputs.
export const SAVE_DAILY_OUTCOMES = `
WITH v AS (
       SELECT *
         FROM unnest($1::uuid[], $2::date[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::int[], $9::int[], $10::text[], $11::text[], $12::text[], $13::int[],
                     $14::bigint[], $15::bigint[], $16::text[], $17::boolean[]) WITH ORDINALITY
           AS v(user_id, date, version, status, summary, model, error, input_tokens, output_tokens,
                message_id, trigger, subscriber, delivery_count, queued_ms, running_ms, error_class, batch, n)),
     input AS (
       SELECT i.user_id, i.date
         FROM diaries i JOIN v ON i.user_id = v.user_id AND i.date = v.date AND i.version = v.version
        ORDER BY i.user_id, i.date
          FOR UPDATE OF i),
     saved AS (
       INSERT INTO diary_summary_days AS s
              (user_id, date, source_version, status, summary, model, error, input_tokens, output_tokens, attempts,
               status_before)
       SELECT v.user_id, v.date, v.version, v.status, v.summary, v.model, v.error, v.input_tokens, v.output_tokens, 1, ''
         FROM v JOIN input ON input.user_id = v.user_id AND input.date = v.date
        ORDER BY v.user_id, v.date
       ON CONFLICT (user_id, date) DO UPDATE SET
         status = excluded.status,
         summary = CASE WHEN excluded.status = 'done' THEN excluded.summary ELSE s.summary END,
         model = CASE WHEN excluded.status = 'done' THEN excluded.model ELSE s.model END,
         error = excluded.error,
         input_tokens = coalesce(excluded.input_tokens, s.input_tokens),
         output_tokens = coalesce(excluded.output_tokens, s.output_tokens),
         source_version = excluded.source_version,
         attempts = CASE WHEN excluded.status = 'done' THEN 0 ELSE s.attempts + 1 END,
         updated_at = now(),
         status_before = s.status
       -- A failure never replaces a done summary of the same input version: another delivery
       -- of the job (a redelivery, a dead-lettered copy giving up) finished it meanwhile.
       WHERE excluded.status = 'done' OR s.status <> 'done'
          OR s.source_version IS DISTINCT FROM excluded.source_version
       RETURNING user_id, date, status, updated_at, source_version, status_before),
     marked AS (
       UPDATE diaries d
          SET needs_daily_summary = NOT diary_summary_is_current(saved.status, saved.updated_at, saved.source_version,
                                                                 d.updated_at, d.version, l.updated_at),
              announced_at = CASE WHEN saved.status IN ('processing', 'batched') THEN d.announced_at END,
              announced_via = CASE WHEN saved.status IN ('processing', 'batched') THEN d.announced_via END,
              reannounce_at = CASE WHEN saved.status IN ('processing', 'batched') THEN d.reannounce_at END
         FROM saved LEFT JOIN user_llms l ON l.user_id = saved.user_id
        WHERE d.user_id = saved.user_id AND d.date = saved.date
          AND (d.needs_daily_summary = diary_summary_is_current(saved.status, saved.updated_at, saved.source_version,
                                                                d.updated_at, d.version, l.updated_at)
               OR (d.announced_at IS NOT NULL AND saved.status NOT IN ('processing', 'batched')))),
     settled AS (
       SELECT saved.user_id, extract(year FROM saved.date)::int AS year, extract(month FROM saved.date)::int AS month,
              max(saved.updated_at) AS at, count(*) AS steps
         FROM saved
        WHERE diary_summary_write_settles(CASE WHEN saved.status_before = '' THEN 'INSERT' ELSE 'UPDATE' END,
                                          nullif(saved.status_before, ''), saved.status)
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
                                           m.inputs_version + excluded.inputs_version, l.updated_at))),
     attempt AS (
       INSERT INTO job_attempts (kind, user_id, period, message_id, trigger, subscriber, delivery_count,
                                 queued_ms, running_ms, outcome, error_class, error, input_tokens, output_tokens)
       SELECT 'daily', v.user_id, v.date::text, v.message_id, v.trigger, v.subscriber, v.delivery_count,
              v.queued_ms, v.running_ms, CASE WHEN saved.user_id IS NULL THEN 'superseded' ELSE v.status END,
              v.error_class, v.error, v.input_tokens, v.output_tokens
         FROM v LEFT JOIN saved ON saved.user_id = v.user_id AND saved.date = v.date
        WHERE v.delivery_count IS NOT NULL AND EXISTS (SELECT 1 FROM users u WHERE u.id = v.user_id)),
     -- The tokens the calls used, stored or superseded, summed per day, user, model and price
     -- (migration 0011), in key order so two statements adding to the same rows cannot deadlock.
     usage AS (
       INSERT INTO llm_token_usage AS t (day, user_id, model, batch, input_tokens, output_tokens, calls)
       SELECT (now() AT TIME ZONE 'UTC')::date, v.user_id, v.model, coalesce(v.batch, false),
              sum(coalesce(v.input_tokens, 0)), sum(coalesce(v.output_tokens, 0)), count(*)
         FROM v
        WHERE v.model <> '' AND (v.input_tokens IS NOT NULL OR v.output_tokens IS NOT NULL)
          AND EXISTS (SELECT 1 FROM users u WHERE u.id = v.user_id)
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
       ON CONFLICT (day, user_id, model, batch) DO UPDATE SET
         input_tokens = t.input_tokens + excluded.input_tokens,
         output_tokens = t.output_tokens + excluded.output_tokens,
         calls = t.calls + excluded.calls)
SELECT v.n, set_config('synchronous_commit', 'off', true)
  FROM saved JOIN v ON saved.user_id = v.user_id AND saved.date = v.date`;
