-- The monthly target query orders by (year, month, user_id) and pages with that cursor: with
-- user_id as a key column (not INCLUDE) the partial index returns rows in that order, so no sort
-- of every due month. diary_months is rewritten on every input change: leave room for HOT updates.
DROP INDEX diary_months_due_idx;
CREATE INDEX diary_months_due_idx ON diary_months (year, month, user_id) WHERE needs_monthly_summary;
ALTER TABLE diary_months SET (fillfactor = 70);
