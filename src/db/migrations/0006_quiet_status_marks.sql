-- Only a done or failed summary row can be current (diary_summary_is_current). A write whose old
-- and new statuses are both something else (queued, processing, retrying: a job being marked) can
-- change no marker and is no input of a month, so the summary triggers now return before
-- evaluating currentness: a job's "processing" mark no longer runs the currentness query against
-- its input row.

CREATE FUNCTION diary_summary_write_settles(op text, old_status text, new_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((op <> 'DELETE' AND new_status IN ('done', 'failed'))
               OR (op <> 'INSERT' AND old_status IN ('done', 'failed')), false)
$$;

CREATE OR REPLACE FUNCTION diary_summary_days_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_days%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF NOT diary_summary_write_settles(TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN OLD.status END,
                                     CASE WHEN TG_OP <> 'DELETE' THEN NEW.status END) THEN
    RETURN r;
  END IF;
  UPDATE diaries SET needs_daily_summary = NOT needs_daily_summary
   WHERE user_id = r.user_id AND date = r.date
     AND needs_daily_summary = diary_daily_current(user_id, date, updated_at, version);
  -- A finished daily summary is an input of its month.
  PERFORM diary_month_touch(r.user_id, r.date, CASE WHEN TG_OP = 'DELETE' THEN now() ELSE NEW.updated_at END);
  RETURN r;
END $$;

CREATE OR REPLACE FUNCTION diary_summary_months_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_months%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF NOT diary_summary_write_settles(TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN OLD.status END,
                                     CASE WHEN TG_OP <> 'DELETE' THEN NEW.status END) THEN
    RETURN r;
  END IF;
  UPDATE diary_months SET needs_monthly_summary = NOT needs_monthly_summary
   WHERE user_id = r.user_id AND year = r.year AND month = r.month
     AND needs_monthly_summary = diary_monthly_current(user_id, year, month, inputs_updated_at, inputs_version);
  RETURN r;
END $$;
