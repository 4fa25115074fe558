-- The marker functions were LANGUAGE sql. PostgreSQL 15 cannot inline them (their bodies hold a
-- sub-select or an INSERT), so it parsed and planned their statements again on every call: several
-- times per summary write, through the triggers. PL/pgSQL keeps each statement's plan for the
-- session, which cut PostgreSQL's CPU per job (bench/results). Same bodies, same signatures.

CREATE OR REPLACE FUNCTION diary_daily_current(p_user uuid, p_date date, p_updated timestamptz, p_version integer)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (
    SELECT 1 FROM diary_summary_days s
    LEFT JOIN user_llms l ON l.user_id = s.user_id
    WHERE s.user_id = p_user AND s.date = p_date
      AND diary_summary_is_current(s.status, s.updated_at, s.source_version, p_updated, p_version, l.updated_at));
END $$;

CREATE OR REPLACE FUNCTION diary_monthly_current(p_user uuid, p_year integer, p_month integer,
                                                 p_updated timestamptz, p_version bigint)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (
    SELECT 1 FROM diary_summary_months s
    LEFT JOIN user_llms l ON l.user_id = s.user_id
    WHERE s.user_id = p_user AND s.year = p_year AND s.month = p_month
      AND diary_summary_is_current(s.status, s.updated_at, s.source_version, p_updated, p_version, l.updated_at));
END $$;

CREATE OR REPLACE FUNCTION diary_month_touch(p_user uuid, p_date date, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO diary_months AS m (user_id, year, month, inputs_updated_at, inputs_version)
  VALUES (p_user, extract(year FROM p_date)::int, extract(month FROM p_date)::int, p_at, 1)
  ON CONFLICT (user_id, year, month) DO UPDATE
    SET inputs_updated_at = greatest(m.inputs_updated_at, excluded.inputs_updated_at),
        inputs_version = m.inputs_version + 1;
END $$;
