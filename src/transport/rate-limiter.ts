// The fleet-wide LLM request budget (LLM_MAX_RPM): a token bucket kept in Redis and updated by one
// Lua script, so every subscriber process draws from the same bucket atomically.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TransientJobError } from '../errors/job-errors.js';
import { sleep } from '../summarizer/retry.js';

/** The part of a node-redis v6 client this needs (a RedisClientType fits). */
export interface RateLimitRedisClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RateLimiter {
  /** Resolves once a request may be sent; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
}

export interface RedisRateLimiterOptions {
  client: RateLimitRedisClient;
  /** Redis key of the bucket, e.g. "diary_events:llm_rate". */
  key: string;
  maxPerMinute: number;
  /**
   * Bucket capacity: how many requests may go at once after a quiet spell. Default: one second's
   * worth (at least 1), because providers enforce per-minute limits over shorter windows too.
   */
  burst?: number;
}

// Read once; the build copies *.lua next to the compiled module.
const SCRIPT = readFileSync(new URL('./lua/rate-limit.lua', import.meta.url), 'utf8');
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { client, key, maxPerMinute } = options;
  if (!Number.isFinite(maxPerMinute) || maxPerMinute <= 0) throw new Error('rate limiter: maxPerMinute must be a positive number');
  const burst = Math.max(1, Math.floor(options.burst ?? maxPerMinute / 60));
  const perMs = maxPerMinute / 60_000;
  const args = { keys: [key], arguments: [String(perMs), String(burst)] };

  async function take(): Promise<number> {
    try {
      return Number(await client.evalSha(SHA, args));
    } catch (err) {
      // First use on this server (or after SCRIPT FLUSH / restart): EVAL also caches the script.
      if (err instanceof Error && err.message.includes('NOSCRIPT')) return Number(await client.eval(SCRIPT, args));
      throw err;
    }
  }

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
