// LIST_JOBS: recent jobs from job_attempts, one row per job (user, kind, period) as its latest
// attempt left it, newest first.
//
// Parameters: $1 outcome text (NULL: any; matched against the latest attempt), $2 kind text
// ('daily' | 'monthly'; NULL: both), $3 user_id uuid (NULL: every user), $4 limit int.
// Returns: kind, user_id, email, period, outcome, error_class, error, trigger, attempts (int, of
//   the job within the retention), last_at (timestamptz).
// Index: job_attempts_job (user_id, kind, period, finished_at) for DISTINCT ON; the table holds
// JOB_HISTORY_RETENTION's worth of attempts.
export const LIST_JOBS = `
WITH latest AS (
       SELECT DISTINCT ON (a.user_id, a.kind, a.period)
              a.kind, a.user_id, a.period, a.outcome, a.error_class, a.error, a.trigger,
              a.finished_at AS last_at,
              (count(*) OVER (PARTITION BY a.user_id, a.kind, a.period))::int AS attempts
         FROM job_attempts a
        WHERE ($2::text IS NULL OR a.kind = $2::text) AND ($3::uuid IS NULL OR a.user_id = $3::uuid)
        ORDER BY a.user_id, a.kind, a.period, a.finished_at DESC, a.id DESC)
SELECT l.kind, l.user_id::text AS user_id, coalesce(u.email, '') AS email, l.period, l.outcome,
       l.error_class, l.error, l.trigger, l.attempts, l.last_at
  FROM latest l JOIN users u ON u.id = l.user_id
 WHERE $1::text IS NULL OR l.outcome = $1::text
 ORDER BY l.last_at DESC
 LIMIT $4::int`;
