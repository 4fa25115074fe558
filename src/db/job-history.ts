// Job history: the attempts SAVE_*_OUTCOMES records in job_attempts, read for the dashboard and a
// user's day page, and pruned to JOB_HISTORY_RETENTION by the scheduler.
import type { Queryable } from './db.js';
import { LIST_JOBS } from './sql/list-jobs.js';
import { PRUNE_JOB_ATTEMPTS } from './sql/prune-job-attempts.js';
import { READ_JOB_ATTEMPTS } from './sql/read-job-attempts.js';

export type JobKind = 'daily' | 'monthly';

/** One attempt of a job, recorded in job_attempts with its outcome (see SAVE_*_OUTCOMES). */
export interface AttemptRecord {
  messageId: string | null;
  trigger: string | null;
  /** The subscriber instance that ran it. */
  subscriber: string | null;
  deliveryCount: number;
  /** From published_at to the start of the run; null when unknown. */
  queuedMs: number | null;
  runningMs: number;
  errorClass: string | null;
  /** The answer came from a provider batch (LLM_BATCH), at batch price. */
  batch?: boolean;
}


export interface JobRow {
  kind: JobKind;
  user_id: string;
  email: string;
  period: string;
  outcome: string;
  error_class: string | null;
  error: string | null;
  trigger: string | null;
  attempts: number;
  last_at: Date;
}

export interface AttemptRow {
  id: string;
  message_id: string | null;
  trigger: string | null;
  subscriber: string | null;
  delivery_count: number;
  queued_ms: number | null;
  running_ms: number;
  outcome: string;
  error_class: string | null;
  error: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  finished_at: Date;
}

export interface JobFilter {
  outcome?: string;
  kind?: JobKind;
  userId?: string;
  limit: number;
}

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/** Recent jobs as their latest attempt left them, newest first. */
export async function listJobs(db: Queryable, f: JobFilter): Promise<JobRow[]> {
  const rows = await db.query<JobRow>(LIST_JOBS, [f.outcome ?? null, f.kind ?? null, f.userId ?? null, f.limit]);
  return rows.map((r) => ({ ...r, last_at: asDate(r.last_at) }));
}

/** One job's attempts, oldest first. */
export async function jobAttempts(db: Queryable, userId: string, kind: JobKind, period: string, limit = 200): Promise<AttemptRow[]> {
  const rows = await db.query<AttemptRow>(READ_JOB_ATTEMPTS, [userId, kind, period, limit]);
  return rows.map((r) => ({ ...r, finished_at: asDate(r.finished_at) }));
}

/**
 * Deletes attempts older than `retentionMs`, `batch` rows per statement and at most `maxBatches`
 * statements per call (the rest waits for the next call); returns how many went.
 */
export async function pruneJobHistory(db: Queryable, retentionMs: number, batch = 1000, maxBatches = 20): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = (await db.query(PRUNE_JOB_ATTEMPTS, [retentionMs, batch])).length;
    total += n;
    if (n < batch) break;
  }
  return total;
}
