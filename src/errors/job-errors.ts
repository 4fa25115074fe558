// The three ways a job can fail, told apart by class and by `name` (so checks survive bundling).

/** Retrying cannot help (bad API key, refused content): record it on the row and stop. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** May succeed later (timeout, 429, 5xx, DB or Redis outage): retry with backoff. */
export class TransientJobError extends Error {
  override readonly name = 'TransientJobError';
  /** Earliest sensible retry, when the failure said so (HTTP Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function isPermanent(err: unknown): err is PermanentJobError {
  return err instanceof Error && err.name === 'PermanentJobError';
}

export function isTransient(err: unknown): err is TransientJobError {
  return err instanceof Error && err.name === 'TransientJobError';
}

/** Any thrown value as an Error, for logging and for the summary row's `error` column. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
