-- Issue 21: a target is announced once, until it is worth announcing again. Each due day and month
-- records when the scheduler last published it (announced_at), through which transport
-- (announced_via, QUEUE_TRANSPORT's name), and from when it may be published again (reannounce_at:
-- far off while it waits in a durable stream, a window derived from the fleet's throughput for
-- Pub/Sub). NULL announced_at: never announced, or handled since (a subscriber wrote the summary
-- row), so the next tick may publish it.
ALTER TABLE diaries ADD COLUMN announced_at timestamptz, ADD COLUMN announced_via text, ADD COLUMN reannounce_at timestamptz;
ALTER TABLE diary_months ADD COLUMN announced_at timestamptz, ADD COLUMN announced_via text, ADD COLUMN reannounce_at timestamptz;

-- The tick reads only what it can admit: fresh targets oldest first, overdue ones by their time,
-- lost ones (a subscriber reported dropping Pub/Sub messages) by when they were announced.
CREATE INDEX diaries_unannounced_idx ON diaries (date, user_id) INCLUDE (content_chars)
  WHERE needs_daily_summary AND announced_at IS NULL;
CREATE INDEX diaries_reannounce_idx ON diaries (reannounce_at)
  WHERE needs_daily_summary AND announced_at IS NOT NULL;
CREATE INDEX diaries_announced_idx ON diaries (announced_via, announced_at)
  WHERE needs_daily_summary AND announced_at IS NOT NULL;
CREATE INDEX diary_months_unannounced_idx ON diary_months (year, month, user_id)
  WHERE needs_monthly_summary AND announced_at IS NULL;
CREATE INDEX diary_months_reannounce_idx ON diary_months (reannounce_at)
  WHERE needs_monthly_summary AND announced_at IS NOT NULL;
CREATE INDEX diary_months_announced_idx ON diary_months (announced_via, announced_at)
  WHERE needs_monthly_summary AND announced_at IS NOT NULL;

-- A summary write other than 'processing' means a subscriber handled the job (done, failed,
-- deferred back to queued, superseded): the announcement is spent, the next tick may publish again.
CREATE FUNCTION diary_summary_days_clear_announcement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> 'processing' THEN
    UPDATE diaries SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
     WHERE user_id = NEW.user_id AND date = NEW.date AND announced_at IS NOT NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER diary_summary_days_clear_announcement AFTER INSERT OR UPDATE ON diary_summary_days
  FOR EACH ROW EXECUTE FUNCTION diary_summary_days_clear_announcement();

CREATE FUNCTION diary_summary_months_clear_announcement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> 'processing' THEN
    UPDATE diary_months SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL
     WHERE user_id = NEW.user_id AND year = NEW.year AND month = NEW.month AND announced_at IS NOT NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER diary_summary_months_clear_announcement AFTER INSERT OR UPDATE ON diary_summary_months
  FOR EACH ROW EXECUTE FUNCTION diary_summary_months_clear_announcement();
