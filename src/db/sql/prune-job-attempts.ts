// PRUNE_JOB_ATTEMPTS: deletes one batch of the attempts older than the retention, oldest first.
//
// Parameters: $1 retention in ms (JOB_HISTORY_RETENTION) float8, $2 batch size int.
// Returns: one row per deleted attempt (id).
// Index: job_attempts_finished (finished_at). A batch at a time keeps each transaction short, so a
// prune never holds up the jobs writing their attempts.
export const PRUNE_JOB_ATTEMPTS = `
DELETE FROM job_attempts
 WHERE id IN (SELECT id FROM job_attempts
               WHERE finished_at < now() - make_interval(secs => $1::float8 / 1000)
               ORDER BY finished_at
               LIMIT $2::int)
RETURNING id`;
