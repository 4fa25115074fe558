// The limits every process shares through Redis, each one atomic Lua step: a user's LLM jobs per
// window (USER_MAX_JOBS_PER_HOUR), the API's request buckets (manual summaries, sign-ins per
// address), the sign-in backoff per email and address, and the LLM token budget (token-budget.ts). The server and subscriber see only
// the interfaces below.
import { randomBytes } from 'node:crypto';
import { coalesceBy } from '../coalesce.js';
import { withTimeout } from '../timeout.js';
import type { Keys } from './keys.js';
import { loadScript, type Script, type ScriptRunner } from './scripts.js';
import { createTokenBudget, type LlmTokenGate, type TokenBudgetOptions } from './token-budget.js';
import { createUserSlots, type UserSlots, type UserSlotsOptions } from './user-slots.js';

/** A limit could not be checked (Redis unreachable); callers refuse rather than let it pass. */
export class LimitUnavailableError extends Error {
  override readonly name = 'LimitUnavailableError';
}

/** A token bucket per key. */
export interface RequestLimiter {
  /** Takes one token for `key`: 0 when allowed, else the ms until one is available. */
  take(key: string): Promise<number>;
}

export interface BucketOptions {
  /** Burst size. */
  capacity: number;
  /** Time for one token to come back. */
  refillMs: number;
}

/** Failed attempts per key with exponential backoff. */
export interface FailureBackoff {
  /** 0 when an attempt may go ahead (it counts as a failure until `succeeded`), else the ms to wait. */
  attempt(key: string): Promise<number>;
  succeeded(key: string): Promise<void>;
}

export interface BackoffOptions {
  /** Attempts before the first delay. @defaultValue 5 */
  free?: number;
  /** First delay; doubles per further failure. @defaultValue 1000 */
  baseMs?: number;
  /** @defaultValue 900000 (15 min) */
  maxMs?: number;
  /** Quiet time after which the failures are forgotten. @defaultValue 3600000 */
  forgetMs?: number;
  /** Tests only: a clock of their own; otherwise the Redis server's. */
  now?: () => number;
}

/** LLM jobs per user in a sliding window. */
export interface JobBudget {
  /** Counts one job of `userId`: 0 when it may run, else the ms until the window has room. */
  take(userId: string): Promise<number>;
}

export interface JobBudgetOptions {
  /** Jobs per window (USER_MAX_JOBS_PER_HOUR). */
  limit: number;
  /** @defaultValue 3600000 */
  windowMs?: number;
  /** Tests only: a clock of their own; otherwise the Redis server's (one clock for every process). */
  now?: () => number;
}

export interface Limits {
  bucket(name: string, options: BucketOptions): RequestLimiter;
  backoff(name: string, options?: BackoffOptions): FailureBackoff;
  jobBudget(options: JobBudgetOptions): JobBudget;
  /** LLM_MAX_TPM and the provider's pauses per endpoint and key (token-budget.ts). */
  llmTokens(options?: TokenBudgetOptions): LlmTokenGate;
  /** USER_MAX_CONCURRENT_JOBS: one user's running jobs across the fleet (user-slots.ts). */
  userSlots(options: UserSlotsOptions): UserSlots;
}

/** While Redis is away its client queues commands; a limit answers within this bound instead. */
const LIMIT_TIMEOUT_MS = 2000;

/** The fleet's one token bucket (lua/token-bucket.lua): a request reserves 1. */
const BUCKET = loadScript('token-bucket');
const BACKOFF = loadScript('sign-in-backoff');
const BUDGET = loadScript('job-budget');

async function run(scripts: ScriptRunner, script: Script, keys: string[], args: (string | number)[]): Promise<number> {
  return Number(await limitCall(scripts.run<number | string>(script, keys, args)));
}

async function limitCall<T>(reply: Promise<T>): Promise<T> {
  try {
    return await withTimeout(reply, LIMIT_TIMEOUT_MS, 'limit');
  } catch (cause) {
    throw new LimitUnavailableError(`limit unavailable (Redis: ${(cause as Error).message})`, { cause });
  }
}

export function createLimits(scripts: ScriptRunner, keys: Keys): Limits {
  return {
    bucket(name, { capacity, refillMs }) {
      return { take: (key) => run(scripts, BUCKET, [keys.requestLimit(name, key)], ['reserve', 1, 1 / refillMs, capacity, '']) };
    },
    backoff(name, o = {}) {
      const args = (op: string) => [op, o.free ?? 5, o.baseMs ?? 1000, o.maxMs ?? 900_000, o.forgetMs ?? 3_600_000, o.now ? o.now() : ''];
      const key = (k: string) => [keys.signInBackoff(`${name}\u0000${k}`)];
      return {
        attempt: (k) => run(scripts, BACKOFF, key(k), args('attempt')),
        succeeded: async (k) => {
          await run(scripts, BACKOFF, key(k), args('success'));
        },
      };
    },
    llmTokens: (options) => createTokenBudget(scripts, keys, options),
    userSlots: (options) => createUserSlots(scripts, keys, options),
    jobBudget({ limit, windowMs = 3_600_000, now }) {
      // A job's member in the window need only be unique: this process's random prefix and a
      // counter are, at a fraction of randomBytes per job (issue 19's profile).
      const prefix = randomBytes(8).toString('hex');
      let taken = 0;
      // The takes of one turn are one script call per slot group (issue 19: a call per job was
      // one more Redis command per job than the claim needs).
      const takes = coalesceBy(
        (key: string) => keys.slotGroup(key),
        async (userKeys: readonly string[]) => {
          const members = userKeys.map(() => `${prefix}:${(taken++).toString(36)}`);
          const args = [limit, windowMs, now ? now() : '', ...members];
          return (await limitCall(scripts.run<Array<number | string>>(BUDGET, [...userKeys], args))).map(Number);
        },
      );
      return { take: (userId) => takes(keys.userJobs(userId)) };
    },
  };
}
