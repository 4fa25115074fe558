-- Accounts for the API and the web app: a password (scrypt, see src/server/passwords.ts) and an
-- admin flag for the operations dashboard. Both have defaults, so rows inserted by other tools
-- (the scheduler's tests, the demo seed) stay valid: no password means no password sign-in.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;

-- The dashboard's throughput chart reads the last hour of finished summaries on every poll:
-- without these it would scan both tables.
CREATE INDEX diary_summary_days_updated_idx ON diary_summary_days (updated_at);
CREATE INDEX diary_summary_months_updated_idx ON diary_summary_months (updated_at);
