// What a job handler receives: its inputs and tools, never Redis (the transport hides it).
import type { Db } from '../db/db.js';
import type { AttemptRecord } from '../db/job-history.js';
import type { UserLlmSettings } from '../db/users.js';
import type { Logger } from '../logger.js';
import type { Summarizer } from '../summarizer/summarizer.js';

export interface JobContext {
  db: Db;
  /** Aborted on JOB_TIMEOUT, when the job's claim is lost, or when the process stops. */
  signal: AbortSignal;
  logger: Logger;
  /** 1 on the first delivery. */
  attempt: number;
  /** SUMMARY_MIN_CHARS. */
  minChars: number;
  /**
   * The summarizer for a user's settings over the system default; throws a PermanentJobError when
   * the settings cannot work (an unknown provider, a key that cannot be decrypted).
   */
  summarizerFor(settings: UserLlmSettings): Summarizer;
  /** This attempt as job_attempts records it, timed up to now; absent: record none. */
  attemptRecord?(errorClass: string | null): AttemptRecord;
  /** Counts one LLM job of the job's user (USER_MAX_JOBS_PER_HOUR): 0 when it may run, else ms until there is room. */
  takeLlmJob?(): Promise<number>;
}

/**
 * How a job ended without error: `done` (summary stored), `current` (nothing to do: the summary is
 * already up to date or the input is gone or too short), `superseded` (the input changed while it
 * was summarized; the new version is a target of its own), `deferred` (the user's LLM budget is
 * spent: back to `queued` for a later tick), `batched` (LLM_BATCH: set aside for a provider batch,
 * whose leader stores the result).
 */
export type JobOutcome = 'done' | 'current' | 'superseded' | 'deferred' | 'batched';
