// Token buckets per key (user, email, IP). In-process on purpose: limits are per server replica,
// which is enough to stop a brute-force or a request loop; a cluster-wide limit would live in Redis.

export interface RateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number;
}

export interface RateLimitOptions {
  /** Burst size. */
  capacity: number;
  /** Time for one token to come back. */
  refillMs: number;
  /** Keys remembered at most (oldest forgotten first), so a flood of new keys cannot exhaust memory. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { capacity, refillMs } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: capacity, at: t };
      const tokens = Math.min(capacity, b.tokens + (t - b.at) / refillMs);
      buckets.delete(key); // re-inserted below: Map order is then least recently used first
      if (tokens < 1) {
        buckets.set(key, { tokens, at: t });
        return Math.ceil((1 - tokens) * refillMs);
      }
      buckets.set(key, { tokens: tokens - 1, at: t });
      if (buckets.size > maxKeys) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      return 0;
    },
  };
}
