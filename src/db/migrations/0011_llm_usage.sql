-- Issue 17 §4: what the LLM costs, seen. Each stored outcome carries the tokens its calls used
-- (job_attempts has them too, but keeps them only for JOB_HISTORY_RETENTION, 14 days by default,
-- shorter than a month). So the statements that store outcomes (SAVE_*_OUTCOMES) also add them
-- here, per UTC day, user, model and price (batch: the provider's batch price), and this is kept.
CREATE TABLE llm_token_usage (
  day date NOT NULL,
  -- No foreign key, as job_attempts has none: its check would lock the user's row in every job's
  -- outcome statement. A deleted user's usage goes with them by the trigger below.
  user_id uuid NOT NULL,
  model text NOT NULL,
  batch boolean NOT NULL,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  -- Outcomes that reported usage.
  calls bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, user_id, model, batch)
);
CREATE INDEX llm_token_usage_user ON llm_token_usage (user_id, day);

CREATE FUNCTION llm_token_usage_forget_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM llm_token_usage WHERE user_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER users_forget_llm_token_usage AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION llm_token_usage_forget_user();
