// Reading a job's inputs and recording its outcome, for the daily and monthly handlers.
//
// A result is stored only if the input it was built from is still the present one: the diary row
// (daily) or the diary_months row (monthly) is locked and its version compared, so an edit that
// lands while its old text is being summarized is never hidden behind a "done" row.
import { coalesce } from '../coalesce.js';
import type { Queryable } from './db.js';

export type SummaryStatus = 'queued' | 'processing' | 'done' | 'failed' | 'retrying';

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
  summary?: string;
  model?: string;
  error?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
}

/** The user's LLM settings as a job needs them; every field null means the system defaults. */
export interface JobLlmSettings {
  provider: string | null;
  model: string | null;
  baseUrl: string | null;
  apiKeyEncrypted: string | null;
}

/** A job that has work to do: its input, and the settings of the user it belongs to. */
export interface StartedJob<I> {
  input: I;
  llm: JobLlmSettings;
}

interface LlmColumns {
  llm_provider: string | null;
  llm_model: string | null;
  llm_base_url: string | null;
  llm_api_key_encrypted: string | null;
}

// A job's own writes (its "processing" mark and its outcome) commit without waiting for the WAL
// flush: PostgreSQL makes them visible at once and durable within 3 × wal_writer_delay (0.6 s by
// default). What a database crash can lose in that window is regenerable: the marker that made the
// day or month a target is lost with it, so the next tick publishes the job again. WAL order keeps
// every later synchronous commit (a diary save) from becoming durable without them. This took a
// commit from ~0.9 ms to ~0.2 ms here and most of the wait out of each job.
const ASYNC_COMMIT = `set_config('synchronous_commit', 'off', true)`;
/** The statements every job runs: planned once per connection. */
const PREPARED = { prepared: true } as const;

// The user's settings ride along with a job's first read instead of costing a round trip of their own.
const LLM_COLUMNS = `l.provider AS llm_provider, l.model AS llm_model, l.base_url AS llm_base_url,
       l.api_key_encrypted AS llm_api_key_encrypted`;

function llmSettings(r: LlmColumns): JobLlmSettings {
  return { provider: r.llm_provider, model: r.llm_model, baseUrl: r.llm_base_url, apiKeyEncrypted: r.llm_api_key_encrypted };
}

// Every write of a summary row is one statement whose first step locks the input rows (diaries /
// diary_months, in key order) — the order the triggers need too — so writers never deadlock. A
// result is written only if its input is still at the version it was built from.

interface Target {
  table: 'diary_summary_days' | 'diary_summary_months';
  input: 'diaries' | 'diary_months';
  version: 'version' | 'inputs_version';
  /** Key columns with their SQL types, in parameter order. */
  keys: ReadonlyArray<readonly [string, string]>;
}

const DAILY: Target = {
  table: 'diary_summary_days',
  input: 'diaries',
  version: 'version',
  keys: [['user_id', 'uuid'], ['date', 'date']],
};
const MONTHLY: Target = {
  table: 'diary_summary_months',
  input: 'diary_months',
  version: 'inputs_version',
  keys: [['user_id', 'uuid'], ['year', 'int'], ['month', 'int']],
};

function lockInput(t: Target): string {
  const where = t.keys.map(([k, type], i) => `${k} = $${i + 1}::${type}`).join(' AND ');
  return `WITH input AS (SELECT 1 FROM ${t.input} WHERE ${where} FOR UPDATE)`;
}

/** Sets the status of the summary row of each `input` row (keys as $1…), keeping any stored result. */
function upsertStatus(t: Target, status: string): string {
  const keyCols = t.keys.map(([k]) => k).join(', ');
  const keyParams = t.keys.map(([, type], i) => `$${i + 1}::${type}`).join(', ');
  return `INSERT INTO ${t.table} AS s (${keyCols}, status)
     SELECT ${keyParams}, ${status} FROM input
     ON CONFLICT (${keyCols}) DO UPDATE SET status = excluded.status, updated_at = now()
       WHERE s.status IS DISTINCT FROM excluded.status`;
}

/** Index: diaries (user_id, date) unique. */
export async function readDailyInput(db: Queryable, userId: string, date: string): Promise<DailyInput | undefined> {
  const [row] = await db.query<{ content: string; content_chars: number; version: number; needs_daily_summary: boolean }>(
    'SELECT content, content_chars, version, needs_daily_summary FROM diaries WHERE user_id = $1 AND date = $2',
    [userId, date],
  );
  return row && { content: row.content, chars: row.content_chars, version: row.version, needsSummary: row.needs_daily_summary };
}

// The diary is read from the statement's snapshot and locked (then marked) only when there is work.
const START_DAILY_JOB = `WITH d AS (
       SELECT content, content_chars, version, needs_daily_summary,
              content_chars >= $3::int AND (needs_daily_summary OR $4::boolean) AS due
         FROM diaries WHERE user_id = $1::uuid AND date = $2::date),
     input AS (
       SELECT 1 FROM diaries WHERE user_id = $1::uuid AND date = $2::date AND (SELECT due FROM d) FOR UPDATE),
     mark AS (${upsertStatus(DAILY, "'processing'")})
     SELECT d.*, ${LLM_COLUMNS}, ${ASYNC_COMMIT}
       FROM d LEFT JOIN user_llms l ON l.user_id = $1::uuid`;

/**
 * Starts a daily job in one round trip: reads the diary and the user's LLM settings and, when there
 * is work (at least `minChars` long, and no current summary unless `force`), marks the summary
 * `processing`. Undefined when there is nothing to do. The row is locked before it is marked, in
 * the order every summary write uses (see below).
 */
export async function startDailyJob(
  db: Queryable,
  userId: string,
  date: string,
  opts: { minChars: number; force: boolean },
): Promise<StartedJob<DailyInput> | undefined> {
  const [row] = await db.query<
    { content: string; content_chars: number; version: number; needs_daily_summary: boolean; due: boolean } & LlmColumns
  >(
    START_DAILY_JOB,
    [userId, date, opts.minChars, opts.force],
    PREPARED,
  );
  if (!row?.due) return undefined;
  return {
    input: { content: row.content, chars: row.content_chars, version: row.version, needsSummary: row.needs_daily_summary },
    llm: llmSettings(row),
  };
}

/**
 * The month's diaries in date order, each as its current daily summary when there is one, else its
 * raw text; one round trip. Index: diary_months primary key; diaries (user_id, date) unique range;
 * diary_summary_days (user_id, date) unique.
 */
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
  }>(
    `SELECT m.inputs_version, m.needs_monthly_summary, e.date, e.content, e.summary
       FROM diary_months m
       LEFT JOIN LATERAL (
         SELECT d.date::text AS date, d.content,
                CASE WHEN NOT d.needs_daily_summary AND s.status = 'done' AND s.summary <> '' THEN s.summary END AS summary
           FROM diaries d
           LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date
          WHERE d.user_id = m.user_id AND d.date >= make_date(m.year, m.month, 1)
            AND d.date < (make_date(m.year, m.month, 1) + interval '1 month')::date) e ON true
      WHERE m.user_id = $1 AND m.year = $2 AND m.month = $3
      ORDER BY e.date`,
    [userId, year, month],
    PREPARED,
  );
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
export async function markMonthlyProcessing(db: Queryable, userId: string, year: number, month: number): Promise<JobLlmSettings | undefined> {
  const [row] = await db.query<LlmColumns>(
    `${lockInput(MONTHLY)},
     mark AS (${upsertStatus(MONTHLY, "'processing'")})
     SELECT ${LLM_COLUMNS}, ${ASYNC_COMMIT} FROM input LEFT JOIN user_llms l ON l.user_id = $1::uuid`,
    [userId, year, month],
    PREPARED,
  );
  return row && llmSettings(row);
}

async function setStatus(db: Queryable, t: Target, key: readonly unknown[], status: 'queued' | 'processing'): Promise<void> {
  await db.query(`${lockInput(t)} ${upsertStatus(t, `$${t.keys.length + 1}::text`)}`, [...key, status]);
}

// PostgreSQL text cannot hold U+0000: an LLM answer (or an error quoting one) containing it would
// fail its statement on every retry.
function pgText(text: string): string {
  return text.replaceAll('\u0000', '');
}

interface OutcomeRow {
  key: readonly (string | number)[];
  version: number;
  outcome: SummaryOutcome;
}

/**
 * Stores outcomes in one statement, each only if its input is still at its version; answers, per
 * row, whether it was stored. The input rows are locked in key order, and their months through the
 * triggers in the same order, so concurrent batches cannot deadlock. A key may appear once.
 */
async function saveOutcomes(db: Queryable, t: Target, rows: readonly OutcomeRow[]): Promise<boolean[]> {
  const n = t.keys.length;
  const keyCols = t.keys.map(([k]) => k);
  const v = (cols: readonly string[], alias: string) => cols.map((c) => `${alias}.${c}`).join(', ');
  const sameKey = (x: string, y: string) => keyCols.map((k) => `${x}.${k} = ${y}.${k}`).join(' AND ');
  const arrays = t.keys.map(([, type], i) => `$${i + 1}::${type}[]`);
  const p = (i: number) => `$${n + 1 + i}`; // after the key arrays
  const fields = ['version', 'status', 'summary', 'model', 'error', 'input_tokens', 'output_tokens'];
  // A failure keeps the last good summary text and model; a success replaces them.
  const saved = await db.query<{ n: number }>(
    `WITH v AS (
       SELECT * FROM unnest(${arrays.join(', ')}, ${p(0)}::bigint[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[],
                            ${p(4)}::text[], ${p(5)}::int[], ${p(6)}::int[]) WITH ORDINALITY
         AS v(${keyCols.join(', ')}, ${fields.join(', ')}, n)),
     input AS (
       SELECT ${v(keyCols, 'i')} FROM ${t.input} i JOIN v ON ${sameKey('i', 'v')} AND i.${t.version} = v.version
        ORDER BY ${v(keyCols, 'i')} FOR UPDATE OF i),
     saved AS (
       INSERT INTO ${t.table} AS s (${keyCols.join(', ')}, source_version, status, summary, model, error, input_tokens, output_tokens, attempts)
       SELECT ${v(keyCols, 'v')}, v.version, v.status, v.summary, v.model, v.error, v.input_tokens, v.output_tokens, 1
         FROM v JOIN input ON ${sameKey('input', 'v')}
        ORDER BY ${v(keyCols, 'v')}
       ON CONFLICT (${keyCols.join(', ')}) DO UPDATE SET
         status = excluded.status,
         summary = CASE WHEN excluded.status = 'done' THEN excluded.summary ELSE s.summary END,
         model = CASE WHEN excluded.status = 'done' THEN excluded.model ELSE s.model END,
         error = excluded.error,
         input_tokens = coalesce(excluded.input_tokens, s.input_tokens),
         output_tokens = coalesce(excluded.output_tokens, s.output_tokens),
         source_version = excluded.source_version,
         attempts = CASE WHEN excluded.status = 'done' THEN 0 ELSE s.attempts + 1 END,
         updated_at = now()
       -- A failure never replaces a done summary of the same input version: another delivery
       -- of the job (a redelivery, a dead-lettered copy giving up) finished it meanwhile.
       WHERE excluded.status = 'done' OR s.status <> 'done'
          OR s.source_version IS DISTINCT FROM excluded.source_version
       RETURNING ${keyCols.join(', ')})
     SELECT v.n, ${ASYNC_COMMIT} FROM saved JOIN v ON ${sameKey('saved', 'v')}`,
    [
      ...t.keys.map((_, i) => rows.map((r) => r.key[i])),
      rows.map((r) => r.version),
      rows.map((r) => r.outcome.status),
      rows.map((r) => pgText(r.outcome.summary ?? '')),
      rows.map((r) => pgText(r.outcome.model ?? '')),
      rows.map((r) => (r.outcome.error == null ? null : pgText(r.outcome.error))),
      rows.map((r) => r.outcome.inputTokens ?? null),
      rows.map((r) => r.outcome.outputTokens ?? null),
    ],
    PREPARED,
  );
  const stored = new Set(saved.map((r) => Number(r.n)));
  return rows.map((_, i) => stored.has(i + 1));
}

// Outcomes of jobs that finish in the same event-loop turn on the same connection or pool are
// stored by one statement: one plan, one commit and one round trip for them all. Measured serially,
// PostgreSQL's CPU per stored outcome halved with batches of 10.
const writers = new WeakMap<Queryable, Map<Target, (row: OutcomeRow) => Promise<boolean | Error>>>();
async function saveOutcome(db: Queryable, t: Target, row: OutcomeRow): Promise<boolean> {
  let byTarget = writers.get(db);
  if (!byTarget) {
    byTarget = new Map();
    writers.set(db, byTarget);
  }
  let write = byTarget.get(t);
  if (!write) {
    write = coalesce((rows: readonly OutcomeRow[]) => saveInRounds(db, t, rows), 100);
    byTarget.set(t, write);
  }
  const stored = await write(row);
  if (stored instanceof Error) throw stored;
  return stored;
}

/** A key may appear once per statement (ON CONFLICT cannot update a row twice): repeats go in later rounds. */
async function saveInRounds(db: Queryable, t: Target, rows: readonly OutcomeRow[]): Promise<Array<boolean | Error>> {
  const result = new Array<boolean | Error>(rows.length).fill(false);
  let pending = rows.map((row, i) => ({ row, i }));
  while (pending.length > 0) {
    const seen = new Set<string>();
    const round: typeof pending = [];
    const later: typeof pending = [];
    for (const p of pending) {
      const k = p.row.key.map(String).join('\u0000').toLowerCase();
      (seen.has(k) ? later : round).push(p);
      seen.add(k);
    }
    const stored = await saveRound(db, t, round.map((p) => p.row));
    round.forEach((p, j) => (result[p.i] = stored[j] ?? false));
    pending = later;
  }
  return result;
}

/**
 * One statement for the round; when it fails with several rows, each row is tried alone, so a bad
 * row fails its own job only, not the jobs that happened to finish in the same turn.
 */
async function saveRound(db: Queryable, t: Target, rows: readonly OutcomeRow[]): Promise<Array<boolean | Error>> {
  const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  try {
    return await saveOutcomes(db, t, rows);
  } catch (err) {
    if (rows.length === 1) return [asError(err)];
    return Promise.all(rows.map((r) => saveOutcomes(db, t, [r]).then(([stored]) => stored ?? false, asError)));
  }
}

/** Marks a day's summary queued or processing, keeping any stored result. */
export function setDailyStatus(db: Queryable, userId: string, date: string, status: 'queued' | 'processing'): Promise<void> {
  return setStatus(db, DAILY, [userId, date], status);
}

/** Marks a month's summary queued or processing, keeping any stored result. */
export function setMonthlyStatus(db: Queryable, userId: string, year: number, month: number, status: 'queued' | 'processing'): Promise<void> {
  return setStatus(db, MONTHLY, [userId, year, month], status);
}

/**
 * Stores a daily outcome if the diary is still at `version`; returns false (nothing written) when
 * the diary changed or vanished meanwhile. Upsert on (user_id, date).
 */
export function saveDailyOutcome(db: Queryable, userId: string, date: string, version: number, outcome: SummaryOutcome): Promise<boolean> {
  return saveOutcome(db, DAILY, { key: [userId, date], version, outcome });
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
  return saveOutcome(db, MONTHLY, { key: [userId, year, month], version, outcome });
}
