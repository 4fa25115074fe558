// The fleet-wide LLM request budget (LLM_MAX_RPM): a token bucket kept in Redis and updated by one
// Lua script, so every subscriber process draws from the same bucket atomically.
import { TransientJobError } from '../errors/job-errors.js';
import { sleep } from '../clock.js';
import { loadScript, type ScriptRunner } from './scripts.js';

export interface RateLimiter {
  /** Resolves once a request may be sent; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
}

export interface RedisRateLimiterOptions {
  scripts: ScriptRunner;
  /** Redis key of the bucket (keys.ts rateLimit). */
  key: string;
  perMinute: number;
  /**
   * Bucket capacity: how many requests may go at once after a quiet spell. Default: one second's
   * worth (at least 1), because providers enforce per-minute limits over shorter windows too.
   */
  burst?: number;
}

/** The fleet's one token bucket (lua/token-bucket.lua): a request reserves 1. */
const SCRIPT = loadScript('token-bucket');

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { scripts, key, perMinute } = options;
  if (!Number.isFinite(perMinute) || perMinute <= 0) throw new Error('rate limiter: perMinute must be a positive number');
  const burst = Math.max(1, Math.floor(options.burst ?? perMinute / 60));
  const perMs = perMinute / 60_000;

  const take = async (): Promise<number> => Number(await scripts.run<number | string>(SCRIPT, [key], ['reserve', 1, perMs, burst, '']));

  return {
    async acquire(signal: AbortSignal): Promise<void> {
      for (;;) {
        signal.throwIfAborted();
        let wait: number;
        try {
          wait = await take();
        } catch (cause) {
          if (signal.aborted) throw signal.reason;
          throw new TransientJobError('LLM rate limiter unavailable (Redis error)', { cause });
        }
        if (!(wait > 0)) return;
        // A little jitter so that waiters in many processes do not all wake on the same millisecond.
        await sleep(wait + Math.floor(Math.random() * Math.min(50, wait / 4 + 1)), signal);
      }
    },
  };
}
