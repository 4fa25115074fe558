-- Issue 21/19: recording an announcement (announced_at, announced_via, reannounce_at) changes
-- nothing a marker depends on, yet every row of the tick's mark UPDATE ran the BEFORE trigger's
-- currency query (the tick's largest cost: about 0.1 ms a row). Column lists make the triggers fire
-- only for writes to the columns they read; a diary edited by hand in SQL still fires them.
DROP TRIGGER diaries_before_write ON diaries;
CREATE TRIGGER diaries_before_write
  BEFORE INSERT OR UPDATE OF user_id, date, content, version, needs_daily_summary, updated_at ON diaries
  FOR EACH ROW EXECUTE FUNCTION diaries_before_write();

DROP TRIGGER diaries_after_write ON diaries;
CREATE TRIGGER diaries_after_write
  AFTER INSERT OR DELETE OR UPDATE OF user_id, date, content, updated_at ON diaries
  FOR EACH ROW EXECUTE FUNCTION diaries_after_write();

DROP TRIGGER diary_months_before_write ON diary_months;
CREATE TRIGGER diary_months_before_write
  BEFORE INSERT OR UPDATE OF user_id, year, month, inputs_updated_at, inputs_version, needs_monthly_summary ON diary_months
  FOR EACH ROW EXECUTE FUNCTION diary_months_before_write();
