// One failed LLM request, classified, before the retry policy of openai.ts decides what to do.

export type ErrorClass = 'rate_limited' | 'server' | 'network' | 'timeout' | 'auth' | 'model' | 'refused' | 'bad_response' | 'egress';

export class AttemptError extends Error {
  /** The HTTP status, when the endpoint answered one. */
  status?: number;
  /** The pause its rate-limit headers asked for, already shared with the fleet (token-budget.ts). */
  sharedPauseMs?: number;
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * The text a job's error shows. For a user's own endpoint (`classOnly`) that is only the class —
   * HTTP status, timeout, refused or unreachable, bad response — never the body the endpoint sent
   * or the socket's error, which would let a user read or map what the subscriber can reach.
   */
  shown(classOnly: boolean): string {
    if (!classOnly || this.errorClass === 'egress' || this.errorClass === 'timeout') return this.message;
    if (this.status !== undefined) return `HTTP ${this.status}`;
    return this.errorClass === 'network' ? 'connection refused, reset or unreachable' : 'bad response';
  }
}
