// Retry delays: exponential with full jitter, never sooner than the server asked (Retry-After).

export interface BackoffOptions {
  /** @defaultValue 1000 */
  baseMs?: number;
  /** @defaultValue 60000 */
  capMs?: number;
}

export function retryDelay(attempt: number, retryAfterMs?: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const cap = options.capMs ?? 60_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}
