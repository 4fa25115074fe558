-- The summary triggers rewrote the input row's marker on every summary write, even when it did not
-- change (a "processing" mark, say): a dead tuple and index entries per job. Now they write only
-- when the marker really changes.

CREATE OR REPLACE FUNCTION diary_summary_days_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_days%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  UPDATE diaries SET needs_daily_summary = NOT needs_daily_summary
   WHERE user_id = r.user_id AND date = r.date
     AND needs_daily_summary = diary_daily_current(user_id, date, updated_at, version);
  -- A finished daily summary is an input of its month.
  IF (TG_OP <> 'DELETE' AND NEW.status IN ('done', 'failed'))
     OR (TG_OP <> 'INSERT' AND OLD.status IN ('done', 'failed')) THEN
    PERFORM diary_month_touch(r.user_id, r.date, CASE WHEN TG_OP = 'DELETE' THEN now() ELSE NEW.updated_at END);
  END IF;
  RETURN r;
END $$;

CREATE OR REPLACE FUNCTION diary_summary_months_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_months%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  UPDATE diary_months SET needs_monthly_summary = NOT needs_monthly_summary
   WHERE user_id = r.user_id AND year = r.year AND month = r.month
     AND needs_monthly_summary = diary_monthly_current(user_id, year, month, inputs_updated_at, inputs_version);
  RETURN r;
END $$;
