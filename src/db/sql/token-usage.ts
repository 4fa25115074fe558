// What the LLM's tokens were spent on (issue 17 §4, migration 0011's llm_token_usage).

/**
 * TOKENS_BY_MODEL: tokens of a period per model and price (batch or live), for the dashboard.
 * Parameters: $1 from date (inclusive), $2 to date (exclusive).
 * Returns: model text, batch boolean, input_tokens text, output_tokens text (bigint sums as text).
 * Index: llm_token_usage primary key (day, …): a range of days.
 */
export const TOKENS_BY_MODEL = `
SELECT model, batch, sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens
  FROM llm_token_usage
 WHERE day >= $1::date AND day < $2::date
 GROUP BY model, batch
 ORDER BY model, batch`;

/**
 * TOKENS_BY_USER_MODEL_DAY: tokens per user, model and day (and price), newest day first.
 * Parameters: $1 from date (inclusive), $2 to date (exclusive), $3 user_id uuid (NULL: every user),
 *   $4 limit int.
 * Returns: day text (YYYY-MM-DD), user_id text, email text, model text, batch boolean, input_tokens
 *   text, output_tokens text, calls text.
 * Index: llm_token_usage_user (user_id, day) for one user; the primary key's day range otherwise.
 */
export const TOKENS_BY_USER_MODEL_DAY = `
SELECT t.day::text AS day, t.user_id::text AS user_id, u.email, t.model, t.batch,
       t.input_tokens::text AS input_tokens, t.output_tokens::text AS output_tokens, t.calls::text AS calls
  FROM llm_token_usage t
  LEFT JOIN users u ON u.id = t.user_id
 WHERE t.day >= $1::date AND t.day < $2::date
   AND ($3::uuid IS NULL OR t.user_id = $3::uuid)
 ORDER BY t.day DESC, t.user_id, t.model, t.batch
 LIMIT $4::int`;
