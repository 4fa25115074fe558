-- Every attempt of every summary job, for operators (the dashboard's job history) and for the
-- user's day page. One row per attempt that stored an outcome, written by the same statement that
-- stores it (SAVE_*_OUTCOMES), so recording costs no extra round trip or commit. Kept for
-- JOB_HISTORY_RETENTION and pruned in batches by the scheduler (PRUNE_JOB_ATTEMPTS).
CREATE TABLE job_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('daily', 'monthly')),
  -- No foreign key: its check would lock the user's row (FOR KEY SHARE) in every job's outcome
  -- statement, and jobs of one user finishing together would share that lock through MultiXacts.
  -- A deleted user's attempts go with them by the trigger below.
  user_id uuid NOT NULL,
  -- The job's target: YYYY-MM-DD (daily) or YYYY-MM (monthly).
  period text NOT NULL,
  message_id text,
  trigger text,
  -- The subscriber instance that ran it (config.instance: host-pid-start).
  subscriber text,
  delivery_count int NOT NULL,
  -- From the message's published_at to the start of the run; NULL when the message had no time.
  queued_ms bigint,
  running_ms bigint NOT NULL,
  -- The status the attempt stored (done | failed | retrying), or superseded when its input
  -- changed meanwhile and nothing was stored.
  outcome text NOT NULL,
  error_class text,
  error text,
  input_tokens int,
  output_tokens int,
  finished_at timestamptz NOT NULL DEFAULT now()
);
-- Recent jobs (the dashboard's list, the retention's prune) and one job's attempts.
CREATE INDEX job_attempts_finished ON job_attempts (finished_at);
CREATE INDEX job_attempts_job ON job_attempts (user_id, kind, period, finished_at);

CREATE FUNCTION job_attempts_forget_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM job_attempts WHERE user_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER users_forget_job_attempts AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION job_attempts_forget_user();
