// SAVE_MONTHLY_OUTCOMES: stores the outcomes of monthly jobs in one statement, each only if its
// month's inputs are still at the version the job read; a failure never replaces a done summary
// of that version.
//
// Parameters (arrays of equal length, one element per outcome; a (user_id, year, month) may
// appear once):
//   $1 user_id uuid[], $2 year int[], $3 month int[], $4 version bigint[] (diary_months.inputs_version
//   the job read), $5 status text[], $6 summary text[], $7 model text[], $8 error text[] (NULL: none),
//   $9 input_tokens int[], $10 output_tokens int[] (NULL: keep the stored count),
//   and the attempt to record in job_attempts: $11 message_id text[], $12 trigger text[],
//   $13 subscriber text[], $14 delivery_count int[] (NULL: record no attempt), $15 queued_ms bigint[],
//   $16 running_ms bigint[], $17 error_class text[], $18 batch boolean[] (the answer came from a
//   provider batch, at batch price; NULL: false), counted in llm_token_usage.
// Returns: one row per stored outcome: n bigint (its 1-based position in the arrays), and
//   set_config (ignored).
// Index: diary_months primary key; diary_summary_months (user_id, year, month) unique (the upsert).
// The diary_months rows are locked in key order (input), so concurrent batches cannot deadlock.
// The attempt row goes in with the outcome (one statement, one commit): `superseded` when the
// outcome was not stored because the month changed meanwhile; none for a user deleted meanwhile.
// A failure keeps the last good summary text and model; a success replaces them and resets
// attempts. set_config turns synchronous_commit off for this transaction only (see
// "Asynchronous commit" in ../summaries.ts).
// Markers (migration 0015): marked writes the month's needs_monthly_summary from the row just
// written, the locked month and the user's settings (diary_summary_is_current), and spends its
// announcement when the job ended (what the clear_announcement trigger did); status_before tells
// the summary triggers to leave these rows alone.
export const SAVE_MONTHLY_OUTCOMES = `
WITH v AS (
       SELECT *
         FROM unnest($1::uuid[], $2::int[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::int[], $10::int[], $11::text[], $12::text[], $13::text[], $14::int[],
                     $15::bigint[], $16::bigint[], $17::text[], $18::boolean[]) WITH ORDINALITY
           AS v(user_id, year, month, version, status, summary, model, error, input_tokens, output_tokens,
                message_id, trigger, subscriber, delivery_count, queued_ms, running_ms, error_class, batch, n)),
     input AS (
       SELECT i.user_id, i.year, i.month
         FROM diary_months i
         JOIN v ON i.user_id = v.user_id AND i.year = v.year AND i.month = v.month AND i.inputs_version = v.version
        ORDER BY i.user_id, i.year, i.month
          FOR UPDATE OF i),
     saved AS (
       INSERT INTO diary_summary_months AS s
              (user_id, year, month, source_version, status, summary, model, error, input_tokens, output_tokens, attempts, status_before)
       SELECT v.user_id, v.year, v.month, v.version, v.status, v.summary, v.model, v.error,
              v.input_tokens, v.output_tokens, 1, ''
         FROM v JOIN input ON input.user_id = v.user_id AND input.year = v.year AND input.month = v.month
        ORDER BY v.user_id, v.year, v.month
       ON CONFLICT (user_id, year, month) DO UPDATE SET
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
       RETURNING user_id, year, month, status, updated_at, source_version),
     marked AS (
       UPDATE diary_months m
          SET needs_monthly_summary = NOT diary_summary_is_current(saved.status, saved.updated_at, saved.source_version,
                                                                   m.inputs_updated_at, m.inputs_version, l.updated_at),
              announced_at = CASE WHEN saved.status IN ('processing', 'batched') THEN m.announced_at END,
              announced_via = CASE WHEN saved.status IN ('processing', 'batched') THEN m.announced_via END,
              reannounce_at = CASE WHEN saved.status IN ('processing', 'batched') THEN m.reannounce_at END
         FROM saved LEFT JOIN user_llms l ON l.user_id = saved.user_id
        WHERE m.user_id = saved.user_id AND m.year = saved.year AND m.month = saved.month
          AND (m.needs_monthly_summary = diary_summary_is_current(saved.status, saved.updated_at, saved.source_version,
                                                                  m.inputs_updated_at, m.inputs_version, l.updated_at)
               OR (m.announced_at IS NOT NULL AND saved.status NOT IN ('processing', 'batched')))),
     attempt AS (
       INSERT INTO job_attempts (kind, user_id, period, message_id, trigger, subscriber, delivery_count,
                                 queued_ms, running_ms, outcome, error_class, error, input_tokens, output_tokens)
       SELECT 'monthly', v.user_id, v.year::text || '-' || lpad(v.month::text, 2, '0'), v.message_id, v.trigger,
              v.subscriber, v.delivery_count, v.queued_ms, v.running_ms,
              CASE WHEN saved.user_id IS NULL THEN 'superseded' ELSE v.status END,
              v.error_class, v.error, v.input_tokens, v.output_tokens
         FROM v LEFT JOIN saved ON saved.user_id = v.user_id AND saved.year = v.year AND saved.month = v.month
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
  FROM saved JOIN v ON saved.user_id = v.user_id AND saved.year = v.year AND saved.month = v.month`;
