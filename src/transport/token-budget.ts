// The fleet-wide LLM token budget (LLM_MAX_TPM) and the provider's pauses, kept in Redis by one
// Lua script (lua/token-bucket.lua): a call reserves its estimate before it starts and corrects the
// reservation with the usage the provider reported; a provider's rate-limit answer pauses every
// subscriber's calls to that endpoint and key until its reset. Waiting happens here, before a
// request is made, so a waiting job holds no LLM connection.
import { systemClock, sleep, type Clock } from '../clock.js';
import { coalesceBy } from '../coalesce.js';
import { TransientJobError } from '../errors/job-errors.js';
import type { Logger } from '../logger.js';
import { llmTokenBudgetWaiting } from '../metrics.js';
import { withTimeout } from '../timeout.js';
import type { Keys } from './keys.js';
import { loadScript, type ScriptRunner } from './scripts.js';

/** A reservation of tokens, settled once the call is over. */
export interface TokenReservation {
  /** The tokens the provider reported for the call; undefined (no usage came back) keeps the estimate. */
  settle(usedTokens: number | undefined): Promise<void>;
}

/** What the LLM client sees of the budget: wait for a turn, and report the provider's pauses. */
export interface LlmTokenGate {
  /**
   * Resolves once calls to `endpoint` (an opaque id of base URL and key) are not paused and
   * `tokens` are reserved; rejects with the signal's reason if it aborts first.
   */
  acquire(endpoint: string, tokens: number, signal: AbortSignal): Promise<TokenReservation>;
  /** Pauses every process's calls to `endpoint` for `ms` (a longer pause already set stays). */
  pause(endpoint: string, ms: number): Promise<void>;
}

export interface TokenBudgetOptions {
  /** LLM_MAX_TPM; undefined: no token budget, only the provider's pauses are kept. */
  tokensPerMinute?: number;
  /** Bucket capacity. @defaultValue 3 s worth of tokens (at least 1), so a minute never holds much more than the budget */
  burst?: number;
  /** Tests only: a clock of their own (its `now` replaces the Redis server's). */
  clock?: Clock;
  logger?: Logger;
}

const SCRIPT = loadScript('token-bucket');
/** While Redis is away its client queues commands; the budget answers within this bound instead. */
const TIMEOUT_MS = 2000;
/** A waiter looks again at least this often, so a pause set meanwhile or lifted early is seen. */
const MAX_NAP_MS = 5000;

export function createTokenBudget(scripts: ScriptRunner, keys: Keys, options: TokenBudgetOptions = {}): LlmTokenGate {
  const tpm = options.tokensPerMinute;
  if (tpm !== undefined && !(Number.isFinite(tpm) && tpm > 0)) throw new Error('token budget: tokensPerMinute must be a positive number');
  const rate = tpm === undefined ? 0 : tpm / 60_000;
  const capacity = tpm === undefined ? 0 : Math.max(1, Math.floor(options.burst ?? tpm / 20));
  const clock = options.clock;
  const naps = clock ?? systemClock;

  const run = async (op: string, endpoint: string, amount: number): Promise<number> => {
    const args = [op, Math.round(amount), rate, capacity, clock ? clock.now() : ''];
    const reply = scripts.run<number | string>(SCRIPT, [keys.llmTokens(), keys.llmPause(endpoint)], args);
    return Number(await withTimeout(reply, TIMEOUT_MS, 'token budget'));
  };
  // With no token budget a reservation only asks whether its endpoint is paused: the calls of one
  // turn to one endpoint share that question, one script call instead of one per LLM call.
  const pausedFor = coalesceBy(
    (endpoint: string) => endpoint,
    async (endpoints: readonly string[]) => {
      const wait = await run('reserve', endpoints[0] as string, 0);
      return endpoints.map(() => wait);
    },
  );
  const bestEffort = async (what: string, p: Promise<unknown>): Promise<void> => {
    try {
      await p;
    } catch (err) {
      options.logger?.warn({ err: (err as Error).message }, `could not ${what} (Redis unavailable)`);
    }
  };

  return {
    async acquire(endpoint, tokens, signal) {
      const estimate = Math.max(0, Math.round(tokens));
      // Counted while it waits (diary_llm_token_budget_waiting): calls waiting for minutes on end
      // mean the budget is exhausted (the DiaryLlmTokenBudgetExhausted alert).
      let waiting = false;
      try {
        for (;;) {
          signal.throwIfAborted();
          let wait: number;
          try {
            wait = rate === 0 ? await pausedFor(endpoint) : await run('reserve', endpoint, estimate);
          } catch (cause) {
            if (signal.aborted) throw signal.reason;
            throw new TransientJobError('LLM token budget unavailable (Redis error)', { cause });
          }
          if (!(wait > 0)) break;
          if (!waiting) {
            waiting = true;
            llmTokenBudgetWaiting.inc();
          }
          // Jitter, so that waiters in many processes do not all wake on the same millisecond.
          const nap = Math.min(MAX_NAP_MS, wait) + Math.floor(Math.random() * Math.min(50, wait / 4 + 1));
          await sleep(nap, signal, naps);
        }
      } finally {
        if (waiting) llmTokenBudgetWaiting.dec();
      }
      let settled = false;
      return {
        async settle(used) {
          if (settled || rate === 0 || used === undefined || !Number.isFinite(used)) return;
          settled = true;
          const delta = Math.round(used) - estimate;
          if (delta !== 0) await bestEffort('correct a token reservation', run('correct', endpoint, delta));
        },
      };
    },
    async pause(endpoint, ms) {
      if (!(ms > 0)) return;
      await bestEffort('share a provider pause', run('pause', endpoint, ms));
    },
  };
}
