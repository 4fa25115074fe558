// READ_JOB_ATTEMPTS: every recorded attempt of one job, oldest first.
//
// Parameters: $1 user_id uuid, $2 kind text ('daily' | 'monthly'), $3 period text (YYYY-MM-DD or
// YYYY-MM), $4 limit int.
// Returns: id, message_id, trigger, subscriber, delivery_count, queued_ms, running_ms, outcome,
//   error_class, error, input_tokens, output_tokens, finished_at.
// Index: job_attempts_job (user_id, kind, period, finished_at).
export const READ_JOB_ATTEMPTS = `
SELECT id::text AS id, message_id, trigger, subscriber, delivery_count, queued_ms::float8 AS queued_ms,
       running_ms::float8 AS running_ms, outcome, error_class, error, input_tokens, output_tokens, finished_at
  FROM job_attempts
 WHERE user_id = $1::uuid AND kind = $2::text AND period = $3::text
 ORDER BY finished_at, id
 LIMIT $4::int`;
