-- Keeps diaries.needs_daily_summary and diary_months.needs_monthly_summary true exactly while a
-- day or month lacks a current summary, so the scheduler's target queries read only those rows
-- (partial indexes below) and their cost follows the number of due targets, not table sizes.
--
-- "Current" is DESIGN.md's rule made exact: a summary row whose status is done, or failed
-- (permanent) and newer than the user's LLM settings, that is not older than its inputs and,
-- when it records the input version it was built from, was built from the present one.

-- A bad time zone in one row would make the target queries fail for everyone: refuse it on write.
CREATE FUNCTION diary_valid_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM now() AT TIME ZONE tz;
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;
ALTER TABLE users ADD CONSTRAINT users_timezone_valid
  CHECK (timezone IS NULL OR diary_valid_timezone(timezone));

CREATE FUNCTION diary_summary_is_current(
  s_status text, s_updated timestamptz, s_version bigint,
  input_updated timestamptz, input_version bigint, settings_updated timestamptz
) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT s_updated >= input_updated
     AND (s_version IS NULL OR s_version = input_version)
     AND (s_status = 'done'
          OR (s_status = 'failed' AND s_updated >= coalesce(settings_updated, '-infinity')))
$$;

CREATE FUNCTION diary_daily_current(p_user uuid, p_date date, p_updated timestamptz, p_version integer)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM diary_summary_days s
    LEFT JOIN user_llms l ON l.user_id = s.user_id
    WHERE s.user_id = p_user AND s.date = p_date
      AND diary_summary_is_current(s.status, s.updated_at, s.source_version, p_updated, p_version, l.updated_at))
$$;

CREATE FUNCTION diary_monthly_current(p_user uuid, p_year integer, p_month integer,
                                      p_updated timestamptz, p_version bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM diary_summary_months s
    LEFT JOIN user_llms l ON l.user_id = s.user_id
    WHERE s.user_id = p_user AND s.year = p_year AND s.month = p_month
      AND diary_summary_is_current(s.status, s.updated_at, s.source_version, p_updated, p_version, l.updated_at))
$$;

-- A change to a month's inputs (a diary, or a finished daily summary) makes its summary stale.
CREATE FUNCTION diary_month_touch(p_user uuid, p_date date, p_at timestamptz) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO diary_months AS m (user_id, year, month, inputs_updated_at, inputs_version)
  VALUES (p_user, extract(year FROM p_date)::int, extract(month FROM p_date)::int, p_at, 1)
  ON CONFLICT (user_id, year, month) DO UPDATE
    SET inputs_updated_at = greatest(m.inputs_updated_at, excluded.inputs_updated_at),
        inputs_version = m.inputs_version + 1
$$;

CREATE FUNCTION diaries_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.content IS DISTINCT FROM OLD.content THEN
    NEW.version := OLD.version + 1;
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
      NEW.updated_at := now();
    END IF;
  END IF;
  NEW.needs_daily_summary := NOT diary_daily_current(NEW.user_id, NEW.date, NEW.updated_at, NEW.version);
  RETURN NEW;
END $$;
CREATE TRIGGER diaries_before_write BEFORE INSERT OR UPDATE ON diaries
  FOR EACH ROW EXECUTE FUNCTION diaries_before_write();

CREATE FUNCTION diaries_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM diary_summary_days WHERE user_id = OLD.user_id AND date = OLD.date;
    PERFORM diary_month_touch(OLD.user_id, OLD.date, now());
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.content IS NOT DISTINCT FROM OLD.content AND NEW.date = OLD.date
       AND NEW.user_id = OLD.user_id AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
      RETURN NEW; -- only the marker moved
    END IF;
    IF NEW.date <> OLD.date OR NEW.user_id <> OLD.user_id THEN
      PERFORM diary_month_touch(OLD.user_id, OLD.date, NEW.updated_at);
    END IF;
  END IF;
  PERFORM diary_month_touch(NEW.user_id, NEW.date, NEW.updated_at);
  RETURN NEW;
END $$;
CREATE TRIGGER diaries_after_write AFTER INSERT OR UPDATE OR DELETE ON diaries
  FOR EACH ROW EXECUTE FUNCTION diaries_after_write();

CREATE FUNCTION diary_months_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.needs_monthly_summary := NOT diary_monthly_current(
    NEW.user_id, NEW.year, NEW.month, NEW.inputs_updated_at, NEW.inputs_version);
  RETURN NEW;
END $$;
CREATE TRIGGER diary_months_before_write BEFORE INSERT OR UPDATE ON diary_months
  FOR EACH ROW EXECUTE FUNCTION diary_months_before_write();

CREATE FUNCTION diary_summary_days_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_days%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  -- Re-evaluate the day's marker (the BEFORE trigger on diaries does the work).
  UPDATE diaries SET needs_daily_summary = needs_daily_summary
   WHERE user_id = r.user_id AND date = r.date;
  -- A finished daily summary is an input of its month.
  IF (TG_OP <> 'DELETE' AND NEW.status IN ('done', 'failed'))
     OR (TG_OP <> 'INSERT' AND OLD.status IN ('done', 'failed')) THEN
    PERFORM diary_month_touch(r.user_id, r.date, CASE WHEN TG_OP = 'DELETE' THEN now() ELSE NEW.updated_at END);
  END IF;
  RETURN r;
END $$;
CREATE TRIGGER diary_summary_days_after_write AFTER INSERT OR UPDATE OR DELETE ON diary_summary_days
  FOR EACH ROW EXECUTE FUNCTION diary_summary_days_after_write();

CREATE FUNCTION diary_summary_months_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r diary_summary_months%ROWTYPE;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  UPDATE diary_months SET needs_monthly_summary = needs_monthly_summary
   WHERE user_id = r.user_id AND year = r.year AND month = r.month;
  RETURN r;
END $$;
CREATE TRIGGER diary_summary_months_after_write AFTER INSERT OR UPDATE OR DELETE ON diary_summary_months
  FOR EACH ROW EXECUTE FUNCTION diary_summary_months_after_write();

-- Changing the LLM settings gives permanently failed summaries another chance (guarantee 5).
CREATE FUNCTION user_llms_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.provider, NEW.model, NEW.base_url, NEW.api_key_encrypted)
       IS DISTINCT FROM (OLD.provider, OLD.model, OLD.base_url, OLD.api_key_encrypted)
     AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER user_llms_before_update BEFORE UPDATE ON user_llms
  FOR EACH ROW EXECUTE FUNCTION user_llms_before_update();

CREATE FUNCTION user_llms_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE diaries d SET needs_daily_summary = d.needs_daily_summary
    FROM diary_summary_days s
   WHERE s.user_id = NEW.user_id AND s.status = 'failed' AND d.user_id = s.user_id AND d.date = s.date;
  UPDATE diary_months m SET needs_monthly_summary = m.needs_monthly_summary
    FROM diary_summary_months s
   WHERE s.user_id = NEW.user_id AND s.status = 'failed'
     AND m.user_id = s.user_id AND m.year = s.year AND m.month = s.month;
  RETURN NEW;
END $$;
CREATE TRIGGER user_llms_after_write AFTER INSERT OR UPDATE ON user_llms
  FOR EACH ROW EXECUTE FUNCTION user_llms_after_write();

-- Daily targets: range scan on content_chars >= SUMMARY_MIN_CHARS over days still lacking a summary.
CREATE INDEX diaries_daily_due_idx ON diaries (content_chars, date) INCLUDE (user_id)
  WHERE needs_daily_summary;
-- Monthly targets: "does this month still have a pending day?" per due month.
CREATE INDEX diaries_pending_by_user_idx ON diaries (user_id, date) WHERE needs_daily_summary;
-- Monthly targets: the months still lacking a summary.
CREATE INDEX diary_months_due_idx ON diary_months (year, month) INCLUDE (user_id)
  WHERE needs_monthly_summary;
