// Retry delays of the whole system — a job's retry, an LLM request's, a Redis reconnection, a
// failed stream read — as one formula: exponential, capped, with "equal jitter" (uniform in
// [ceiling/2, ceiling]), so that many processes failing together do not retry in lockstep.

export interface Backoff {
  /** The first retry's ceiling. */
  baseMs: number;
  /** No ceiling above this. */
  capMs: number;
}

/** A job handed back to its transport: 1 s, 2 s, 4 s … 1 min. */
export const JOB_RETRY: Backoff = { baseMs: 1000, capMs: 60_000 };
/** One LLM request within a job: 0.5 s … 30 s. */
export const LLM_RETRY: Backoff = { baseMs: 500, capMs: 30_000 };
/** A Redis connection or read: 0.1 s … 5 s. */
export const RECONNECT: Backoff = { baseMs: 100, capMs: 5000 };

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
