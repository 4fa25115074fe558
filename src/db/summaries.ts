// Reading a job's inputs and recording its outcome, for the daily and monthly handlers.
//
// A result is stored only if the input it was built from is still the present one: the diary row
// (daily) or the diary_months row (monthly) is locked and its version compared, so an edit that
// lands while its old text is being summarized is never hidden behind a "done" row.
import type { Db, Queryable } from './db.js';

export type SummaryStatus = 'queued' | 'processing' | 'done' | 'failed' | 'retrying';

export interface DailyInput {
  content: string;
  version: number;
  /** False when a current daily summary already exists (no work to do). */
  needsSummary: boolean;
}

export interface MonthEntry {
  date: string;
  text: string;
  /** True when `text` is the day's daily summary, false when it is the raw diary. */
  isSummary: boolean;
}

export interface MonthlyInput {
  version: number;
  needsSummary: boolean;
  entries: MonthEntry[];
}

export interface SummaryOutcome {
  status: SummaryStatus;
  summary?: string;
  model?: string;
  error?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
}

/** Index: diaries (user_id, date) unique. */
export async function readDailyInput(db: Queryable, userId: string, date: string): Promise<DailyInput | undefined> {
  const [row] = await db.query<{ content: string; version: number; needs_daily_summary: boolean }>(
    'SELECT content, version, needs_daily_summary FROM diaries WHERE user_id = $1 AND date = $2',
    [userId, date],
  );
  return row && { content: row.content, version: row.version, needsSummary: row.needs_daily_summary };
}

/**
 * The month's diaries in date order, each as its current daily summary when there is one, else its
 * raw text. Index: diaries (user_id, date) unique range; diary_summary_days (user_id, date) unique.
 */
export async function readMonthlyInput(
  db: Queryable,
  userId: string,
  year: number,
  month: number,
): Promise<MonthlyInput | undefined> {
  const [marker] = await db.query<{ inputs_version: number; needs_monthly_summary: boolean }>(
    'SELECT inputs_version, needs_monthly_summary FROM diary_months WHERE user_id = $1 AND year = $2 AND month = $3',
    [userId, year, month],
  );
  if (!marker) return undefined;
  const rows = await db.query<{ date: string; content: string; summary: string | null }>(
    `SELECT d.date::text AS date, d.content,
            CASE WHEN NOT d.needs_daily_summary AND s.status = 'done' AND s.summary <> '' THEN s.summary END AS summary
       FROM diaries d
       LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date
      WHERE d.user_id = $1 AND d.date >= make_date($2, $3, 1)
        AND d.date < (make_date($2, $3, 1) + interval '1 month')::date
      ORDER BY d.date`,
    [userId, year, month],
  );
  return {
    version: marker.inputs_version,
    needsSummary: marker.needs_monthly_summary,
    entries: rows
      .filter((r) => r.summary !== null || r.content.trim() !== '')
      .map((r) => ({ date: r.date, text: r.summary ?? r.content, isSummary: r.summary !== null })),
  };
}

// Lock order, everywhere a summary row is written: the input row first (diaries / diary_months),
// then the summary row (whose triggers come back to the input row and, for days, to the month).
// Writers that took the opposite order deadlocked against a subscriber storing its result.

/** Marks a day's summary queued or processing, keeping any stored result. */
export async function setDailyStatus(db: Db, userId: string, date: string, status: 'queued' | 'processing'): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM diaries WHERE user_id = $1 AND date = $2 FOR UPDATE', [userId, date]);
    await tx.query(
      `INSERT INTO diary_summary_days AS s (user_id, date, status)
       VALUES ($1, $2, $3)
       ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now()
         WHERE s.status IS DISTINCT FROM excluded.status`,
      [userId, date, status],
    );
  });
}

/** Marks a month's summary queued or processing, keeping any stored result. */
export async function setMonthlyStatus(
  db: Db,
  userId: string,
  year: number,
  month: number,
  status: 'queued' | 'processing',
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM diary_months WHERE user_id = $1 AND year = $2 AND month = $3 FOR UPDATE', [userId, year, month]);
    await tx.query(
      `INSERT INTO diary_summary_months AS s (user_id, year, month, status)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now()
         WHERE s.status IS DISTINCT FROM excluded.status`,
      [userId, year, month, status],
    );
  });
}

/**
 * Stores a daily outcome if the diary is still at `version`; returns false (nothing written) when
 * the diary changed or vanished meanwhile. Upsert on (user_id, date).
 */
export async function saveDailyOutcome(
  db: Db,
  userId: string,
  date: string,
  version: number,
  outcome: SummaryOutcome,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [diary] = await tx.query<{ version: number }>(
      'SELECT version FROM diaries WHERE user_id = $1 AND date = $2 FOR UPDATE',
      [userId, date],
    );
    if (!diary || diary.version !== version) return false;
    await upsertOutcome(tx, 'diary_summary_days', ['user_id', 'date'], [userId, date], version, outcome);
    return true;
  });
}

/** Stores a monthly outcome if the month's inputs are still at `version`. Upsert on (user_id, year, month). */
export async function saveMonthlyOutcome(
  db: Db,
  userId: string,
  year: number,
  month: number,
  version: number,
  outcome: SummaryOutcome,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [marker] = await tx.query<{ inputs_version: number }>(
      'SELECT inputs_version FROM diary_months WHERE user_id = $1 AND year = $2 AND month = $3 FOR UPDATE',
      [userId, year, month],
    );
    if (!marker || marker.inputs_version !== version) return false;
    await upsertOutcome(tx, 'diary_summary_months', ['user_id', 'year', 'month'], [userId, year, month], version, outcome);
    return true;
  });
}

async function upsertOutcome(
  tx: Queryable,
  table: 'diary_summary_days' | 'diary_summary_months',
  keys: readonly string[],
  keyValues: readonly unknown[],
  version: number,
  o: SummaryOutcome,
): Promise<void> {
  const cols = [...keys, 'status', 'summary', 'model', 'error', 'input_tokens', 'output_tokens', 'source_version'];
  const placeholders = cols.map((_, i) => `$${i + 1}`).join(', ');
  // A failure keeps the last good summary text and model; a success replaces them.
  await tx.query(
    `INSERT INTO ${table} AS s (${cols.join(', ')}, attempts)
     VALUES (${placeholders}, 1)
     ON CONFLICT (${keys.join(', ')}) DO UPDATE SET
       status = excluded.status,
       summary = CASE WHEN excluded.status = 'done' THEN excluded.summary ELSE s.summary END,
       model = CASE WHEN excluded.status = 'done' THEN excluded.model ELSE s.model END,
       error = excluded.error,
       input_tokens = coalesce(excluded.input_tokens, s.input_tokens),
       output_tokens = coalesce(excluded.output_tokens, s.output_tokens),
       source_version = excluded.source_version,
       attempts = CASE WHEN excluded.status = 'done' THEN 0 ELSE s.attempts + 1 END,
       updated_at = now()`,
    [
      ...keyValues,
      o.status,
      o.summary ?? '',
      o.model ?? '',
      o.error ?? null,
      o.inputTokens ?? null,
      o.outputTokens ?? null,
      version,
    ],
  );
}
