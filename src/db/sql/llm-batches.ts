// The statements of LLM_BATCH=on (issue 17 §3, migration 0010): a subscriber sets a scheduled job
// aside for a provider batch; the batch leader gathers, submits, polls and resolves. Every state
// lives in llm_batches / llm_batch_requests, so a leader that dies anywhere leaves its work to the
// next one.

/**
 * SET_ASIDE_DAILY: records a daily job's request for a batch, if the diary is still at the version
 * the job read, and marks its summary 'batched' and its announcement spent through 'batch' until
 * 'infinity' (the announcing scheduler then leaves the day alone while the request waits).
 * A request already recorded for this version decides instead: still waiting or batched (a second
 * delivery) → 'batched' again; 'live' (its batch failed it) or 'done' → the job runs live.
 * Parameters: $1 user_id uuid, $2 date date, $3 version bigint, $4 custom_id text, $5 model text,
 *   $6 body jsonb.
 * Returns: one row: decision text ('batched' | 'live' | 'superseded': the diary changed).
 * Index: diaries (user_id, date) unique; llm_batch_requests (kind, user_id, period, version) unique;
 *   diary_summary_days (user_id, date) unique.
 * The diary is locked first: the lock order of every summary write.
 */
export const SET_ASIDE_DAILY = `
WITH input AS (
       SELECT 1 FROM diaries
        WHERE user_id = $1::uuid AND date = $2::date AND version = $3::bigint
          FOR UPDATE),
     prior AS (
       SELECT state FROM llm_batch_requests
        WHERE kind = 'daily' AND user_id = $1::uuid AND period = $2::date::text AND version = $3::bigint),
     added AS (
       INSERT INTO llm_batch_requests (kind, user_id, period, version, custom_id, model, body)
       SELECT 'daily', $1::uuid, $2::date::text, $3::bigint, $4::text, $5::text, $6::jsonb FROM input
       ON CONFLICT (kind, user_id, period, version) DO NOTHING
       RETURNING state),
     decision AS (
       SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM input) THEN 'superseded'
                   -- NULL: a concurrent delivery's row, not yet visible here, waits: batched.
                   WHEN coalesce((SELECT state FROM added), (SELECT state FROM prior), 'waiting')
                        IN ('waiting', 'batched') THEN 'batched'
                   ELSE 'live' END AS decision),
     mark AS (
       INSERT INTO diary_summary_days AS s (user_id, date, status)
       SELECT $1::uuid, $2::date, 'batched' FROM decision WHERE decision = 'batched'
       ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now()
        WHERE s.status IS DISTINCT FROM excluded.status),
     announce AS (
       UPDATE diaries SET announced_at = now(), announced_via = 'batch', reannounce_at = 'infinity'
        WHERE user_id = $1::uuid AND date = $2::date AND (SELECT decision FROM decision) = 'batched')
SELECT decision FROM decision`;

/**
 * SET_ASIDE_MONTHLY: SET_ASIDE_DAILY for a month (diary_months.inputs_version, period YYYY-MM).
 * Parameters: $1 user_id uuid, $2 year int, $3 month int, $4 version bigint, $5 custom_id text,
 *   $6 model text, $7 body jsonb.
 * Returns: one row: decision text. Index: diary_months primary key; as SET_ASIDE_DAILY.
 */
export const SET_ASIDE_MONTHLY = `
WITH input AS (
       SELECT 1 FROM diary_months
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int AND inputs_version = $4::bigint
          FOR UPDATE),
     period AS (SELECT $2::int::text || '-' || lpad($3::int::text, 2, '0') AS period),
     prior AS (
       SELECT state FROM llm_batch_requests
        WHERE kind = 'monthly' AND user_id = $1::uuid AND period = (SELECT period FROM period) AND version = $4::bigint),
     added AS (
       INSERT INTO llm_batch_requests (kind, user_id, period, version, custom_id, model, body)
       SELECT 'monthly', $1::uuid, (SELECT period FROM period), $4::bigint, $5::text, $6::text, $7::jsonb FROM input
       ON CONFLICT (kind, user_id, period, version) DO NOTHING
       RETURNING state),
     decision AS (
       SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM input) THEN 'superseded'
                   WHEN coalesce((SELECT state FROM added), (SELECT state FROM prior), 'waiting')
                        IN ('waiting', 'batched') THEN 'batched'
                   ELSE 'live' END AS decision),
     mark AS (
       INSERT INTO diary_summary_months AS s (user_id, year, month, status)
       SELECT $1::uuid, $2::int, $3::int, 'batched' FROM decision WHERE decision = 'batched'
       ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now()
        WHERE s.status IS DISTINCT FROM excluded.status),
     announce AS (
       UPDATE diary_months SET announced_at = now(), announced_via = 'batch', reannounce_at = 'infinity'
        WHERE user_id = $1::uuid AND year = $2::int AND month = $3::int AND (SELECT decision FROM decision) = 'batched')
SELECT decision FROM decision`;

/**
 * WAITING_BY_MODEL: what waits for a batch, per model: how many, and since when.
 * Returns: model text, waiting int, oldest timestamptz. Index: llm_batch_requests_waiting.
 */
export const WAITING_BY_MODEL = `
SELECT model, count(*)::int AS waiting, min(created_at) AS oldest
  FROM llm_batch_requests
 WHERE state = 'waiting'
 GROUP BY model
 ORDER BY min(created_at)`;

/**
 * TAKE_WAITING: opens a batch of a model ('uploading') with its oldest waiting requests, at most $2.
 * Parameters: $1 model text, $2 limit int.
 * Returns: one row per request taken: batch_id bigint, custom_id text, body jsonb; none when
 *   nothing waits. Index: llm_batch_requests_waiting.
 */
export const TAKE_WAITING = `
WITH picked AS (
       SELECT id FROM llm_batch_requests
        WHERE state = 'waiting' AND model = $1::text
        ORDER BY created_at, id
        LIMIT $2::int
          FOR UPDATE SKIP LOCKED),
     batch AS (
       INSERT INTO llm_batches (model, requests)
       SELECT $1::text, count(*) FROM picked HAVING count(*) > 0
       RETURNING id),
     moved AS (
       UPDATE llm_batch_requests r SET state = 'batched', batch_id = batch.id
         FROM picked, batch
        WHERE r.id = picked.id
       RETURNING r.batch_id, r.custom_id, r.body, r.created_at, r.id)
SELECT batch_id, custom_id, body FROM moved ORDER BY created_at, id`;

/**
 * MARK_SUBMITTED: the provider accepted the batch. Parameters: $1 id bigint, $2 provider_batch_id
 * text, $3 input_file_id text, $4 provider_status text. Index: llm_batches primary key.
 */
export const MARK_SUBMITTED = `
UPDATE llm_batches
   SET state = 'submitted', provider_batch_id = $2::text, input_file_id = $3::text,
       provider_status = $4::text, submitted_at = now(), polled_at = now()
 WHERE id = $1::bigint AND state = 'uploading'`;

/**
 * GIVE_BACK_UPLOADS: batches a leader opened but did not get submitted (the upload failed, or the
 * leader died meanwhile; only the leader opens batches, and it never leaves a tick with one
 * uploading): their requests wait again for the next batch, and the batch ends.
 * Returns: id bigint of each batch given back. Index: llm_batches_open.
 */
export const GIVE_BACK_UPLOADS = `
WITH stale AS (
       UPDATE llm_batches SET state = 'ended', ended_at = now(), error = coalesce(error, 'not submitted')
        WHERE state = 'uploading'
       RETURNING id),
     back AS (
       UPDATE llm_batch_requests r SET state = 'waiting', batch_id = NULL
         FROM stale WHERE r.batch_id = stale.id AND r.state = 'batched')
SELECT id FROM stale`;

/**
 * SUBMITTED_BATCHES: batches the provider has, oldest first. Returns: id bigint, model text,
 * provider_batch_id text, provider_status text. Index: llm_batches_open.
 */
export const SUBMITTED_BATCHES = `
SELECT id, model, provider_batch_id, provider_status
  FROM llm_batches
 WHERE state = 'submitted'
 ORDER BY id`;

/**
 * RECORD_POLL: what the provider said of a batch. Parameters: $1 id bigint, $2 provider_status
 * text, $3 output_file_id text, $4 error_file_id text, $5 error text (all NULL: keep).
 * Index: llm_batches primary key.
 */
export const RECORD_POLL = `
UPDATE llm_batches
   SET provider_status = $2::text, output_file_id = coalesce($3::text, output_file_id),
       error_file_id = coalesce($4::text, error_file_id), error = coalesce($5::text, error), polled_at = now()
 WHERE id = $1::bigint`;

/**
 * BATCH_REQUESTS: the requests of a batch still to resolve. Parameters: $1 batch id bigint.
 * Returns: id bigint, custom_id, kind, user_id, period text, version bigint.
 * Index: llm_batch_requests_batch.
 */
export const BATCH_REQUESTS = `
SELECT id, custom_id, kind, user_id::text AS user_id, period, version
  FROM llm_batch_requests
 WHERE batch_id = $1::bigint AND state = 'batched'
 ORDER BY id`;

/**
 * RESOLVE_REQUESTS: requests whose result was handled ('done') or that run live ('live', with why).
 * Parameters: $1 ids bigint[], $2 states text[], $3 errors text[]. Index: llm_batch_requests primary key.
 */
export const RESOLVE_REQUESTS = `
UPDATE llm_batch_requests r
   SET state = v.state, error = v.error, resolved_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, state, error)
 WHERE r.id = v.id AND r.state = 'batched'`;

/**
 * END_BATCH: every request of the batch is resolved. Parameters: $1 id bigint.
 * Index: llm_batches primary key.
 */
export const END_BATCH = `
UPDATE llm_batches SET state = 'ended', ended_at = now() WHERE id = $1::bigint AND state = 'submitted'`;

/**
 * RELEASE_DAILY: days whose batch request ended without a stored summary (superseded, or to run
 * live): a summary still 'batched' goes back to 'queued', and an announcement through 'batch' is
 * spent, so the next tick publishes the day again (as a live job). A summary written meanwhile
 * by a live run is left alone.
 * Parameters: $1 user ids uuid[], $2 dates date[]. Index: diaries (user_id, date) unique;
 *   diary_summary_days (user_id, date) unique.
 * The diaries are locked in key order first, as every summary write does.
 */
export const RELEASE_DAILY = `
WITH v AS (SELECT * FROM unnest($1::uuid[], $2::date[]) AS v(user_id, date)),
     input AS (
       SELECT d.user_id, d.date FROM diaries d JOIN v ON d.user_id = v.user_id AND d.date = v.date
        ORDER BY d.user_id, d.date
          FOR UPDATE OF d),
     spent AS (
       UPDATE diaries d SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
         FROM input WHERE d.user_id = input.user_id AND d.date = input.date AND d.announced_via = 'batch')
UPDATE diary_summary_days s SET status = 'queued', updated_at = now()
  FROM input
 WHERE s.user_id = input.user_id AND s.date = input.date AND s.status = 'batched'`;

/**
 * RELEASE_MONTHLY: RELEASE_DAILY for months. Parameters: $1 user ids uuid[], $2 years int[],
 * $3 months int[]. Index: diary_months primary key; diary_summary_months (user_id, year, month) unique.
 */
export const RELEASE_MONTHLY = `
WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[]) AS v(user_id, year, month)),
     input AS (
       SELECT m.user_id, m.year, m.month FROM diary_months m
         JOIN v ON m.user_id = v.user_id AND m.year = v.year AND m.month = v.month
        ORDER BY m.user_id, m.year, m.month
          FOR UPDATE OF m),
     spent AS (
       UPDATE diary_months m SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
         FROM input
        WHERE m.user_id = input.user_id AND m.year = input.year AND m.month = input.month AND m.announced_via = 'batch')
UPDATE diary_summary_months s SET status = 'queued', updated_at = now()
  FROM input
 WHERE s.user_id = input.user_id AND s.year = input.year AND s.month = input.month AND s.status = 'batched'`;

/**
 * SEND_WAITING_LIVE: LLM_BATCH was turned off: every request still waiting for a batch runs live
 * (its target goes back to the scheduler through RELEASE_*). Parameters: $1 why text.
 * Returns: kind text, user_id text, period text of each. Index: llm_batch_requests_waiting.
 */
export const SEND_WAITING_LIVE = `
UPDATE llm_batch_requests
   SET state = 'live', error = $1::text, resolved_at = now()
 WHERE state = 'waiting'
RETURNING kind, user_id::text AS user_id, period`;

/**
 * END_BATCHES_LIVE: batches whose requests can no longer come back as answers end, and those
 * requests run live (their targets go back to the scheduler through RELEASE_*): every submitted
 * batch when no endpoint is left to read them ($2 'submitted', $3 NULL; paid twice at worst, never
 * lost), or one batch the provider refused for good ($2 'uploading', $3 its id), which would be
 * refused again every tick. Parameters: $1 why text, $2 state text, $3 batch id bigint or NULL.
 * Returns: kind text, user_id text, period text of each request.
 * Index: llm_batches_open (or its primary key); llm_batch_requests_batch.
 */
export const END_BATCHES_LIVE = `
WITH ended AS (
       UPDATE llm_batches SET state = 'ended', ended_at = now(), error = coalesce(error, $1::text)
        WHERE state = $2::text AND ($3::bigint IS NULL OR id = $3::bigint)
       RETURNING id)
UPDATE llm_batch_requests r
   SET state = 'live', error = $1::text, resolved_at = now()
  FROM ended
 WHERE r.batch_id = ended.id AND r.state = 'batched'
RETURNING r.kind, r.user_id::text AS user_id, r.period`;

/**
 * PRUNE_RESOLVED: forgets requests resolved before $1 (their answers are stored, or their jobs ran
 * live long ago), and ended batches none of whose requests is left, at most $2 of each. Both
 * deletes see the statement's snapshot, so a batch goes the tick after its last request.
 * Parameters: $1 before timestamptz, $2 limit int. Returns: requests bigint, batches bigint.
 * Index: llm_batch_requests primary key (a sequential scan of a table that stays small).
 */
export const PRUNE_RESOLVED = `
WITH old AS (
       DELETE FROM llm_batch_requests
        WHERE id IN (SELECT id FROM llm_batch_requests
                      WHERE state IN ('done', 'live') AND resolved_at < $1::timestamptz
                      ORDER BY id LIMIT $2::int)
       RETURNING batch_id),
     ended AS (
       DELETE FROM llm_batches b
        WHERE b.id IN (SELECT id FROM llm_batches
                        WHERE state = 'ended' AND ended_at < $1::timestamptz ORDER BY id LIMIT $2::int)
          AND NOT EXISTS (SELECT 1 FROM llm_batch_requests r WHERE r.batch_id = b.id)
       RETURNING id)
SELECT (SELECT count(*) FROM old) AS requests, (SELECT count(*) FROM ended) AS batches`;
