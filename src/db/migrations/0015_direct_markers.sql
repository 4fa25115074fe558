-- Issue 19: a job's own summary writes keep the markers themselves, in the same statement.
--
-- A stored daily outcome cost a chain of trigger work: the summary row's AFTER trigger updated the
-- diary only to move its marker, and that UPDATE ran the diary's BEFORE trigger, which asked the
-- currency query again; then it touched the month, whose BEFORE trigger asked the month's currency
-- query. Each of these is a PL/pgSQL call with its own query, per row. The job statements
-- (START_DAILY_JOBS, SAVE_DAILY_OUTCOMES, MARK_MONTHLY_PROCESSING, SAVE_MONTHLY_OUTCOMES) now write
-- each marker with the value it must have at the moment of the write, which they can see: the row
-- they wrote, the locked diary or month, the user's settings.
--
-- The triggers stay for writes from elsewhere (a summary or a diary edited by hand in SQL, the API's
-- status marks, the batch leader): they fire only for rows whose write did not set status_before.

-- The status the row had before the job statement that wrote it last ('' when that statement
-- inserted it): what tells that statement whether its write settled or unsettled a summary, so
-- whether it changed the month's inputs (diary_summary_write_settles). A write that leaves it as it
-- was is not a job statement's, and the triggers keep the markers for it.
ALTER TABLE diary_summary_days ADD COLUMN status_before text;

DROP TRIGGER diary_summary_days_after_write ON diary_summary_days;
CREATE TRIGGER diary_summary_days_after_insert AFTER INSERT ON diary_summary_days
  FOR EACH ROW WHEN (NEW.status_before IS NULL) EXECUTE FUNCTION diary_summary_days_after_write();
CREATE TRIGGER diary_summary_days_after_update AFTER UPDATE ON diary_summary_days
  FOR EACH ROW WHEN (NEW.status_before IS NOT DISTINCT FROM OLD.status_before)
  EXECUTE FUNCTION diary_summary_days_after_write();
CREATE TRIGGER diary_summary_days_after_delete AFTER DELETE ON diary_summary_days
  FOR EACH ROW EXECUTE FUNCTION diary_summary_days_after_write();

-- The status test moves into WHEN too: a 'processing' or 'batched' mark no longer calls the function.
DROP TRIGGER diary_summary_days_clear_announcement ON diary_summary_days;
CREATE TRIGGER diary_summary_days_clear_announcement_insert AFTER INSERT ON diary_summary_days
  FOR EACH ROW WHEN (NEW.status_before IS NULL AND NEW.status NOT IN ('processing', 'batched'))
  EXECUTE FUNCTION diary_summary_days_clear_announcement();
CREATE TRIGGER diary_summary_days_clear_announcement_update AFTER UPDATE ON diary_summary_days
  FOR EACH ROW WHEN (NEW.status_before IS NOT DISTINCT FROM OLD.status_before AND NEW.status NOT IN ('processing', 'batched'))
  EXECUTE FUNCTION diary_summary_days_clear_announcement();

-- The same for the monthly summaries (MARK_MONTHLY_PROCESSING, SAVE_MONTHLY_OUTCOMES).
ALTER TABLE diary_summary_months ADD COLUMN status_before text;

DROP TRIGGER diary_summary_months_after_write ON diary_summary_months;
CREATE TRIGGER diary_summary_months_after_insert AFTER INSERT ON diary_summary_months
  FOR EACH ROW WHEN (NEW.status_before IS NULL) EXECUTE FUNCTION diary_summary_months_after_write();
CREATE TRIGGER diary_summary_months_after_update AFTER UPDATE ON diary_summary_months
  FOR EACH ROW WHEN (NEW.status_before IS NOT DISTINCT FROM OLD.status_before)
  EXECUTE FUNCTION diary_summary_months_after_write();
CREATE TRIGGER diary_summary_months_after_delete AFTER DELETE ON diary_summary_months
  FOR EACH ROW EXECUTE FUNCTION diary_summary_months_after_write();

DROP TRIGGER diary_summary_months_clear_announcement ON diary_summary_months;
CREATE TRIGGER diary_summary_months_clear_announcement_insert AFTER INSERT ON diary_summary_months
  FOR EACH ROW WHEN (NEW.status_before IS NULL AND NEW.status NOT IN ('processing', 'batched'))
  EXECUTE FUNCTION diary_summary_months_clear_announcement();
CREATE TRIGGER diary_summary_months_clear_announcement_update AFTER UPDATE ON diary_summary_months
  FOR EACH ROW WHEN (NEW.status_before IS NOT DISTINCT FROM OLD.status_before AND NEW.status NOT IN ('processing', 'batched'))
  EXECUTE FUNCTION diary_summary_months_clear_announcement();

-- A write of the marker alone is the marker: the writer decided it (a job statement, or the
-- functions below). The BEFORE trigger still derives it when an input column changes (a diary
-- edited by hand, the API's save).
DROP TRIGGER diaries_before_write ON diaries;
CREATE TRIGGER diaries_before_write
  BEFORE INSERT OR UPDATE OF user_id, date, content, version, updated_at ON diaries
  FOR EACH ROW EXECUTE FUNCTION diaries_before_write();

-- diary_months is the project's own table, written only by diary_month_touch, the summary
-- triggers, the user_llms trigger and the job statements: each now writes the month's marker
-- itself, so the BEFORE trigger that re-derived it on every write goes.
DROP TRIGGER diary_months_before_write ON diary_months;
DROP FUNCTION diary_months_before_write();

CREATE OR REPLACE FUNCTION diary_month_touch(p_user uuid, p_date date, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO diary_months AS m (user_id, year, month, inputs_updated_at, inputs_version, needs_monthly_summary)
  VALUES (p_user, extract(year FROM p_date)::int, extract(month FROM p_date)::int, p_at, 1,
          NOT diary_monthly_current(p_user, extract(year FROM p_date)::int, extract(month FROM p_date)::int, p_at, 1))
  ON CONFLICT (user_id, year, month) DO UPDATE
    SET inputs_updated_at = greatest(m.inputs_updated_at, excluded.inputs_updated_at),
        inputs_version = m.inputs_version + 1,
        needs_monthly_summary = NOT diary_monthly_current(m.user_id, m.year, m.month,
                                  greatest(m.inputs_updated_at, excluded.inputs_updated_at), m.inputs_version + 1);
END $$;

-- New settings make a failed summary retryable: its day's and month's markers are derived again
-- (they were rewritten unchanged for the BEFORE triggers to derive them).
CREATE OR REPLACE FUNCTION user_llms_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE diaries d SET needs_daily_summary = NOT diary_daily_current(d.user_id, d.date, d.updated_at, d.version)
    FROM diary_summary_days s
   WHERE s.user_id = NEW.user_id AND s.status = 'failed' AND d.user_id = s.user_id AND d.date = s.date;
  UPDATE diary_months m
     SET needs_monthly_summary = NOT diary_monthly_current(m.user_id, m.year, m.month, m.inputs_updated_at, m.inputs_version)
    FROM diary_summary_months s
   WHERE s.user_id = NEW.user_id AND s.status = 'failed'
     AND m.user_id = s.user_id AND m.year = s.year AND m.month = s.month;
  RETURN NEW;
END $$;
