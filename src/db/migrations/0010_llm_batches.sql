-- Issue 17 §3, LLM_BATCH=on: scheduled jobs on the system's openai endpoint go through the
-- provider's Batch API. The database, not Redis and not the provider, is the source of truth of
-- what waits where: every request a subscriber set aside is a row of llm_batch_requests, and every
-- provider batch a row of llm_batches, so a leader that dies at any point leaves nothing that the
-- next one cannot find and finish.

-- A provider batch. state is ours: 'uploading' (requests assigned, file or batch not yet created:
-- a leader that died here leaves it for the next, which gives its requests back), 'submitted' (the
-- provider has it; provider_status is what it last said), 'ended' (its output and error files were
-- read and every request resolved).
CREATE TABLE llm_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model text NOT NULL,
  state text NOT NULL DEFAULT 'uploading' CHECK (state IN ('uploading', 'submitted', 'ended')),
  -- validating | in_progress | finalizing | completed | failed | expired | cancelling | cancelled
  provider_status text,
  provider_batch_id text UNIQUE,
  input_file_id text,
  output_file_id text,
  error_file_id text,
  requests int NOT NULL,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  polled_at timestamptz,
  ended_at timestamptz
);
CREATE INDEX llm_batches_open ON llm_batches (id) WHERE state <> 'ended';

-- One summary job set aside for a batch, for one input version. state: 'waiting' (not yet in a
-- batch), 'batched' (in batch_id), 'done' (its result went through the version-checked save,
-- stored or superseded), 'live' (it failed, expired or was cancelled in its batch, or its answer
-- could not be used: the job runs live; a subscriber that meets this row calls the LLM itself).
CREATE TABLE llm_batch_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('daily', 'monthly')),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- YYYY-MM-DD (daily) or YYYY-MM (monthly), as job_attempts names a job's target.
  period text NOT NULL,
  -- diaries.version / diary_months.inputs_version the request was built from.
  version bigint NOT NULL,
  -- The JSONL line's custom_id: kind, user, period and version, so an answer names its job.
  custom_id text NOT NULL UNIQUE,
  model text NOT NULL,
  -- The Chat Completions body, as a live call would send it.
  body jsonb NOT NULL,
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'batched', 'done', 'live')),
  batch_id bigint REFERENCES llm_batches (id),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  UNIQUE (kind, user_id, period, version)
);
-- The leader's gathering: the oldest waiting requests of a model.
CREATE INDEX llm_batch_requests_waiting ON llm_batch_requests (model, created_at) WHERE state = 'waiting';
CREATE INDEX llm_batch_requests_batch ON llm_batch_requests (batch_id) WHERE batch_id IS NOT NULL;

-- A summary waiting in a provider batch has its own status, which the API shows.
ALTER TABLE diary_summary_days DROP CONSTRAINT diary_summary_days_status_check,
  ADD CONSTRAINT diary_summary_days_status_check CHECK (status IN ('queued', 'processing', 'batched', 'done', 'failed', 'retrying'));
ALTER TABLE diary_summary_months DROP CONSTRAINT diary_summary_months_status_check,
  ADD CONSTRAINT diary_summary_months_status_check CHECK (status IN ('queued', 'processing', 'batched', 'done', 'failed', 'retrying'));

-- 'batched' does not spend the announcement (migration 0009): the statement that sets a job aside
-- records it as announced through 'batch' until 'infinity', so the announcing scheduler neither
-- finds it fresh, nor overdue, nor among a transport's lost ones while its request waits. Any
-- later write (done, failed, queued) spends it as before.
CREATE OR REPLACE FUNCTION diary_summary_days_clear_announcement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('processing', 'batched') THEN
    UPDATE diaries SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
     WHERE user_id = NEW.user_id AND date = NEW.date AND announced_at IS NOT NULL;
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION diary_summary_months_clear_announcement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('processing', 'batched') THEN
    UPDATE diary_months SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
     WHERE user_id = NEW.user_id AND year = NEW.year AND month = NEW.month AND announced_at IS NOT NULL;
  END IF;
  RETURN NEW;
END $$;
