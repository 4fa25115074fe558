// The fleet-wide LLM token bucket in a real Redis (127.0.0.1:6379), shared across processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { createRedisRateLimiter } from '../../src/transport/rate-limiter.js';
import { scriptRunner } from '../../src/transport/scripts.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test:rate-limit:${randomUUID()}`;
const WORKER = fileURLToPath(new URL('./rate-limit-worker.ts', import.meta.url));

type Client = RedisClient;
const quiet = createLogger({ level: 'silent' });

/** Starts the worker, resolves once it is connected and waiting for "go". */
function startWorker(key: string, rpm: number, burst: number, count: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, REDIS_URL, key, String(rpm), String(burst), String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve, reject) => {
    lines.once('line', (l) => (l === 'ready' ? resolve() : reject(new Error(`worker said ${l}`))));
    child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
  const result = new Promise<number[]>((resolve, reject) => {
    ready.then(() => lines.once('line', (l) => resolve(JSON.parse(l) as number[])), reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`worker exited ${code}`)));
  });
  return { ready, result, go: () => child.stdin.write('go\n'), kill: () => child.kill() };
}

describe('redis rate limiter', () => {
  let a: Client;
  let b: Client;
  before(async () => {
    [a, b] = await Promise.all([
      connectRedis({ url: REDIS_URL, role: 'test-a', logger: quiet }),
      connectRedis({ url: REDIS_URL, role: 'test-b', logger: quiet }),
    ]);
  });
  after(async () => {
    const keys = await a.keys(`${PREFIX}:*`);
    if (keys.length > 0) await a.del(keys);
    await Promise.all([a.close(), b.close()]);
  });

  it('one bucket for two processes: 20 tokens at 20/s take ~1 s in total, not ~0.5 s each side', async () => {
    const key = `${PREFIX}:two-processes`;
    const rpm = 1200; // 20 per second, one every 50 ms
    const worker = startWorker(key, rpm, 1, 10);
    try {
      await worker.ready;
      const local = createRedisRateLimiter({ scripts: scriptRunner(a), key, perMinute: rpm, burst: 1 });
      worker.go();
      const mine: number[] = [];
      const signal = new AbortController().signal;
      for (let i = 0; i < 10; i++) {
        await local.acquire(signal);
        mine.push(Date.now());
      }
      const theirs = await worker.result;
      assert.equal(theirs.length, 10, 'the other process got its tokens');
      const all = [...mine, ...theirs].sort((x, y) => x - y);
      const span = (all.at(-1) as number) - (all[0] as number);
      // 20 tokens with burst 1 need 19 refills of 50 ms. Separate buckets would finish in ~450 ms.
      assert.ok(span >= 850, `20 tokens within ${span} ms: the bucket was not shared`);
      // No window of 10 consecutive grants is faster than the refill rate allows (some slack for timers).
      for (let i = 0; i + 9 < all.length; i++) {
        const w = (all[i + 9] as number) - (all[i] as number);
        assert.ok(w >= 9 * 50 - 60, `10 grants within ${w} ms`);
      }
    } finally {
      worker.kill();
    }
  });

  it('two limiter instances on separate connections share the bucket and the burst', async () => {
    const key = `${PREFIX}:two-connections`;
    const la = createRedisRateLimiter({ scripts: scriptRunner(a), key, perMinute: 600, burst: 3 }); // 10/s
    const lb = createRedisRateLimiter({ scripts: scriptRunner(b), key, perMinute: 600, burst: 3 });
    const signal = new AbortController().signal;
    const t0 = Date.now();
    // Burst of 3 is immediate, the next 4 need 4 × 100 ms.
    await Promise.all([la.acquire(signal), lb.acquire(signal), la.acquire(signal)]);
    const burstMs = Date.now() - t0;
    await Promise.all([la.acquire(signal), lb.acquire(signal), la.acquire(signal), lb.acquire(signal)]);
    const total = Date.now() - t0;
    assert.ok(burstMs < 150, `burst took ${burstMs} ms`);
    assert.ok(total >= 350, `7 tokens in ${total} ms`);
  });

  it('a waiting acquire rejects promptly with the abort reason', async () => {
    const key = `${PREFIX}:abort`;
    const limiter = createRedisRateLimiter({ scripts: scriptRunner(a), key, perMinute: 1, burst: 1 }); // one per minute
    await limiter.acquire(new AbortController().signal);
    const ac = new AbortController();
    const reason = new Error('job aborted');
    setTimeout(() => ac.abort(reason), 100);
    const t0 = Date.now();
    await assert.rejects(limiter.acquire(ac.signal), (e) => e === reason);
    assert.ok(Date.now() - t0 < 1000, 'did not wait for the minute');
  });

  it('the bucket expires when idle instead of lingering in Redis', async () => {
    const key = `${PREFIX}:ttl`;
    await createRedisRateLimiter({ scripts: scriptRunner(a), key, perMinute: 600 }).acquire(new AbortController().signal);
    const ttl = await a.pTTL(key);
    assert.ok(ttl > 0 && ttl <= 11_000, `pttl ${ttl}`);
  });

  it('rejects a non-positive rate', () => {
    assert.throws(() => createRedisRateLimiter({ scripts: scriptRunner(a), key: `${PREFIX}:bad`, perMinute: 0 }), /positive/);
  });
});
