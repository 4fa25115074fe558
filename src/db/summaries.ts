// Reading a job's inputs and recording its outcome, for the daily and monthly handlers.
//
// A result is stored only if the input it was built from is still the present one: the diary row
// (daily) or the diary_months row (monthly) is locked and its version compared, so an edit that
// lands while its old text is being summarized is never hidden behind a "done" row.
//
// Each statement is a literal text in src/db/sql/ (one operation per file, with its parameters,
// result and indexes); this module runs them with typed arguments and rows.
import type { Queryable } from './db.js';
import type { AttemptRecord } from './job-history.js';
import type { UserLlmSettings } from './users.js';
import { MARK_MONTHLY_PROCESSING } from './sql/mark-monthly-processing.js';
import { READ_DAILY_INPUT } from './sql/read-daily-input.js';
import { READ_MONTHLY_INPUT } from './sql/read-monthly-input.js';
import { SAVE_DAILY_OUTCOMES } from './sql/save-daily-outcomes.js';
import { SAVE_MONTHLY_OUTCOMES } from './sql/save-monthly-outcomes.js';
import { SET_DAILY_STATUS } from './sql/set-daily-status.js';
import { SET_MONTHLY_STATUS } from './sql/set-monthly-status.js';
import { START_DAILY_JOBS } from './sql/start-daily-job.js';
import { inTurn, type TurnStatement } from './turn-batch.js';

export type SummaryStatus = 'queued' | 'processing' | 'batched' | 'done' | 'failed' | 'retrying';

export interface DailyInput {
  content: string;
  /** Characters (code points), as SUMMARY_MIN_CHARS counts them. */
  chars: number;
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
  /** The attempt to record beside the outcome; absent: none (a give-up records the row only). */
  attempt?: AttemptRecord;
  summary?: string;
  model?: string;
  error?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
}

/** A job that has work to do: its input, and the settings of the user it belongs to. */
export interface StartedJob<I> {
  input: I;
  llm: UserLlmSettings;
}

/** The user's settings columns of START_DAILY_JOBS and MARK_MONTHLY_PROCESSING. */
interface LlmColumns {
  llm_provider: string | null;
  llm_model: string | null;
  llm_base_url: string | null;
  llm_api_key_encrypted: string | null;
}

function llmSettings(r: LlmColumns): UserLlmSettings {
  return { provider: r.llm_provider, model: r.llm_model, baseUrl: r.llm_base_url, apiKeyEncrypted: r.llm_api_key_encrypted };
}

// Asynchronous commit. A job's own writes (its "processing" mark and its outcome) commit without
// waiting for the WAL flush: PostgreSQL makes them visible at once and durable within
// 3 × wal_writer_delay (0.6 s by default). What a database crash can lose in that window is
// regenerable: the marker that made the day or month a target is lost with it, so the next tick
// publishes the job again. WAL order keeps every later synchronous commit (a diary save) from
// becoming durable without them. This took a commit from ~0.9 ms to ~0.2 ms here and most of the
// wait out of each job. So each job statement (START_DAILY_JOBS, MARK_MONTHLY_PROCESSING,
// SAVE_*_OUTCOMES) selects set_config('synchronous_commit', 'off', true), for its own transaction
// only; the API's status writes (SET_*_STATUS) stay synchronous.
//
// Lock order. Every write of a summary row is one statement whose first step locks the input rows
// (diaries / diary_months, in key order) — the order the triggers need too — so writers never
// deadlock. A result is written only if its input is still at the version it was built from.

/** The statements every job runs: planned once per connection. */
const PREPARED = { prepared: true } as const;

/** A diary as a job's input, read without locking or marking (give-up decides with it). */
export async function readDailyInput(db: Queryable, userId: string, date: string): Promise<DailyInput | undefined> {
  const [row] = await db.query<{ content: string; content_chars: number; version: number; needs_daily_summary: boolean }>(
    READ_DAILY_INPUT,
    [userId, date],
  );
  return row && { content: row.content, chars: row.content_chars, version: row.version, needsSummary: row.needs_daily_summary };
}

interface DailyStart {
  userId: string;
  date: string;
  minChars: number;
  force: boolean;
}
type DailyStartRow = { n: number; content: string; content_chars: number; version: number; needs_daily_summary: boolean; due: boolean } & LlmColumns;

/** START_DAILY_JOBS for the jobs that start in the same turn (see turn-batch.ts). */
const DAILY_STARTS: TurnStatement<DailyStart, StartedJob<DailyInput> | undefined> = {
  key: (j) => `${j.userId}\u0000${j.date}`.toLowerCase(),
  maxBatch: 100,
  async run(db, jobs) {
    const rows = await db.query<DailyStartRow>(
      START_DAILY_JOBS,
      [jobs.map((j) => j.userId), jobs.map((j) => j.date), jobs.map((j) => j.minChars), jobs.map((j) => j.force)],
      PREPARED,
    );
    const started = new Array<StartedJob<DailyInput> | undefined>(jobs.length).fill(undefined);
    for (const row of rows) {
      if (!row.due) continue;
      started[Number(row.n) - 1] = {
        input: { content: row.content, chars: row.content_chars, version: row.version, needsSummary: row.needs_daily_summary },
        llm: llmSettings(row),
      };
    }
    return started;
  },
};

/**
 * Starts a daily job: reads the diary and the user's LLM settings and, when there is work (at
 * least `minChars` long, and no current summary unless `force`), marks the summary `processing`.
 * Undefined when there is nothing to do. The row is locked before it is marked, in the order every
 * summary write uses. Jobs that start in the same turn share one statement.
 */
export function startDailyJob(
  db: Queryable,
  userId: string,
  date: string,
  opts: { minChars: number; force: boolean },
): Promise<StartedJob<DailyInput> | undefined> {
  return inTurn(db, DAILY_STARTS, { userId, date, minChars: opts.minChars, force: opts.force });
}

/** The month's diaries in date order, each as its current daily summary when there is one, else its raw text. */
export async function readMonthlyInput(
  db: Queryable,
  userId: string,
  year: number,
  month: number,
): Promise<MonthlyInput | undefined> {
  const rows = await db.query<{
    inputs_version: number;
    needs_monthly_summary: boolean;
    date: string | null;
    content: string | null;
    summary: string | null;
  }>(READ_MONTHLY_INPUT, [userId, year, month], PREPARED);
  const [marker] = rows;
  if (!marker) return undefined;
  const entries: MonthEntry[] = [];
  for (const r of rows) {
    if (r.date === null || r.content === null) continue; // the month has no diaries left
    if (r.summary === null && r.content.trim() === '') continue;
    entries.push({ date: r.date, text: r.summary ?? r.content, isSummary: r.summary !== null });
  }
  return { version: marker.inputs_version, needsSummary: marker.needs_monthly_summary, entries };
}

/**
 * Marks a month's summary `processing` and returns the user's LLM settings, in one round trip.
 * Undefined when the month no longer exists.
 */
export async function markMonthlyProcessing(db: Queryable, userId: string, year: number, month: number): Promise<UserLlmSettings | undefined> {
  const [row] = await db.query<LlmColumns>(MARK_MONTHLY_PROCESSING, [userId, year, month], PREPARED);
  return row && llmSettings(row);
}

/** Marks a day's summary queued or processing, keeping any stored result. */
export async function setDailyStatus(db: Queryable, userId: string, date: string, status: 'queued' | 'processing'): Promise<void> {
  await db.query(SET_DAILY_STATUS, [userId, date, status]);
}

/** Marks a month's summary queued or processing, keeping any stored result. */
export async function setMonthlyStatus(db: Queryable, userId: string, year: number, month: number, status: 'queued' | 'processing'): Promise<void> {
  await db.query(SET_MONTHLY_STATUS, [userId, year, month, status]);
}

// PostgreSQL text cannot hold U+0000: an LLM answer (or an error quoting one) containing it would
// fail its statement on every retry.
function pgText(text: string): string {
  return text.replaceAll('\u0000', '');
}

interface OutcomeRow {
  /** The summary row's key, in the statement's key parameter order. */
  key: readonly (string | number)[];
  version: number;
  outcome: SummaryOutcome;
}

/**
 * Stores outcomes in one statement (SAVE_DAILY_OUTCOMES or SAVE_MONTHLY_OUTCOMES, led by `keys` key
 * arrays), each only if its input is still at its version; answers, per row, whether it was stored.
 * A key may appear once.
 */
async function saveOutcomes(db: Queryable, sql: string, keys: number, rows: readonly OutcomeRow[]): Promise<boolean[]> {
  const keyArrays = Array.from({ length: keys }, (_, i) => rows.map((r) => r.key[i]));
  const saved = await db.query<{ n: number }>(
    sql,
    [
      ...keyArrays,
      rows.map((r) => r.version),
      rows.map((r) => r.outcome.status),
      rows.map((r) => pgText(r.outcome.summary ?? '')),
      rows.map((r) => pgText(r.outcome.model ?? '')),
      rows.map((r) => (r.outcome.error == null ? null : pgText(r.outcome.error))),
      rows.map((r) => r.outcome.inputTokens ?? null),
      rows.map((r) => r.outcome.outputTokens ?? null),
      rows.map((r) => r.outcome.attempt?.messageId ?? null),
      rows.map((r) => r.outcome.attempt?.trigger ?? null),
      rows.map((r) => r.outcome.attempt?.subscriber ?? null),
      rows.map((r) => r.outcome.attempt?.deliveryCount ?? null),
      rows.map((r) => (r.outcome.attempt?.queuedMs == null ? null : Math.max(0, Math.round(r.outcome.attempt.queuedMs)))),
      rows.map((r) => (r.outcome.attempt ? Math.max(0, Math.round(r.outcome.attempt.runningMs)) : null)),
      rows.map((r) => r.outcome.attempt?.errorClass ?? null),
      rows.map((r) => r.outcome.attempt?.batch ?? null),
    ],
    PREPARED,
  );
  const stored = new Set(saved.map((r) => Number(r.n)));
  return rows.map((_, i) => stored.has(i + 1));
}

// Outcomes of jobs that finish in the same turn share one statement (see turn-batch.ts).
function outcomeStatement(sql: string, keys: number): TurnStatement<OutcomeRow, boolean> {
  return {
    key: (r) => r.key.map(String).join('\u0000').toLowerCase(),
    maxBatch: 100,
    run: (db, rows) => saveOutcomes(db, sql, keys, rows),
  };
}
const DAILY_OUTCOMES = outcomeStatement(SAVE_DAILY_OUTCOMES, 2); // user_id, date
const MONTHLY_OUTCOMES = outcomeStatement(SAVE_MONTHLY_OUTCOMES, 3); // user_id, year, month

/**
 * Stores a daily outcome if the diary is still at `version`; returns false (nothing written) when
 * the diary changed or vanished meanwhile. Upsert on (user_id, date).
 */
export function saveDailyOutcome(db: Queryable, userId: string, date: string, version: number, outcome: SummaryOutcome): Promise<boolean> {
  return inTurn(db, DAILY_OUTCOMES, { key: [userId, date], version, outcome });
}

/** Stores a monthly outcome if the month's inputs are still at `version`. Upsert on (user_id, year, month). */
export function saveMonthlyOutcome(
  db: Queryable,
  userId: string,
  year: number,
  month: number,
  version: number,
  outcome: SummaryOutcome,
): Promise<boolean> {
  return inTurn(db, MONTHLY_OUTCOMES, { key: [userId, year, month], version, outcome });
}
