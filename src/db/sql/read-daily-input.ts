// READ_DAILY_INPUT: a diary as a job's input, without locking or marking anything (give-up reads it).
//
// Parameters: $1 user_id uuid, $2 date date.
// Returns: at most one row: content text, content_chars int, version int, needs_daily_summary boolean.
// Index: diaries (user_id, date) unique.
export const READ_DAILY_INPUT = `
SELECT content, content_chars, version, needs_daily_summary
  FROM diaries
 WHERE user_id = $1 AND date = $2`;
