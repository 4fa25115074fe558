// Job claims: one holder per job key, batched into one script call per event-loop turn, released
// only by their owner — against a real redis-server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../src/logger.js';
import { createClaimStore, type ClaimStore } from '../../src/transport/claim-store.js';
import { coalesce, coalesceAllBy } from '../../src/coalesce.js';
import { keysFor } from '../../src/transport/keys.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });

test('coalesce answers every call with its own result, in batches of at most maxBatch', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.integer(), { maxLength: 40 }), { maxLength: 6 }), fc.integer({ min: 1, max: 16 }), async (turns, maxBatch) => {
      const batches: number[][] = [];
      const double = coalesce(async (items: readonly number[]) => {
        batches.push([...items]);
        return items.map((i) => i * 2);
      }, maxBatch);
      for (const turn of turns) {
        const results = await Promise.all(turn.map((i) => double(i)));
        assert.deepEqual(results, turn.map((i) => i * 2));
      }
      assert.deepEqual(batches.flat(), turns.flat());
      for (const b of batches) assert.ok(b.length >= 1 && b.length <= maxBatch);
      // Calls made in one turn share batches: no more batches than the turn needs.
      assert.equal(batches.length, turns.reduce((n, t) => n + Math.ceil(t.length / maxBatch), 0));
    }),
  );
});

test('coalesce rejects every call of a failed batch, and of a batch answered with the wrong count', async () => {
  const failing = coalesce(async (_items: readonly number[]) => Promise.reject(new Error('redis down')));
  const results = await Promise.allSettled([failing(1), failing(2)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  const short = coalesce(async (_items: readonly number[]) => [1]);
  await assert.rejects(Promise.all([short(1), short(2)]), /answered 1 results for 2 items/);
});

test('a batch function that throws instead of rejecting rejects every call of its batch, in both forms', async () => {
  const throwing = (_items: readonly number[]): Promise<number[]> => {
    throw new Error('bad batch');
  };
  const one = coalesce(throwing);
  const all = coalesceAllBy((_n: number) => '', throwing);
  const results = await Promise.allSettled([one(1), one(2), all(3), all(4)]);
  assert.deepEqual(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled')), ['bad batch', 'bad batch', 'bad batch', 'bad batch']);
});

test('coalesceAllBy sends each group of a turn as batches of at most maxBatch, settling every call with its batch', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer()), { maxLength: 30 }), { maxLength: 5 }),
      fc.integer({ min: 1, max: 8 }),
      async (turns, maxBatch) => {
        const batches: Array<Array<[string, number]>> = [];
        const sent = new Set<number>();
        const release = coalesceAllBy(
          ([group]: [string, number]) => group,
          async (items: ReadonlyArray<[string, number]>) => {
            batches.push([...items]);
            await new Promise((r) => setImmediate(r));
            for (const [, n] of items) sent.add(n);
          },
          maxBatch,
        );
        for (const turn of turns) {
          const calls = turn.map((item) => release(item).then(() => sent.has(item[1])));
          // Each call settles only once its own batch was sent.
          assert.ok((await Promise.all(calls)).every(Boolean));
        }
        assert.deepEqual(batches.flat().map(([, n]) => n).sort((x, y) => x - y), turns.flat().map(([, n]) => n).sort((x, y) => x - y));
        for (const b of batches) {
          assert.ok(b.length >= 1 && b.length <= maxBatch);
          assert.equal(new Set(b.map(([g]) => g)).size, 1, 'one group per batch');
        }
        const expected = turns.reduce((n, t) => {
          const per = new Map<string, number>();
          for (const [g] of t) per.set(g, (per.get(g) ?? 0) + 1);
          return n + [...per.values()].reduce((m, c) => m + Math.ceil(c / maxBatch), 0);
        }, 0);
        assert.equal(batches.length, expected);
      },
    ),
  );
});

test('coalesceAllBy rejects every call of a batch whose run fails, and only those', async () => {
  const release = coalesceAllBy(
    (n: number) => (n % 2 ? 'odd' : 'even'),
    async (items: readonly number[]) => {
      if (items.some((n) => n % 2)) throw new Error('redis down');
    },
  );
  const results = await Promise.allSettled([release(1), release(2), release(3), release(4)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled']);
});

describe('claim store', () => {
  let redis: RedisServer;
  let client: RedisClient;
  let store: ClaimStore;
  const keys = keysFor('claims_test');

  before(async () => {
    redis = await startRedisServer();
    client = await connectRedis({ url: redis.url, role: 'main', logger });
    store = createClaimStore({ scripts: scriptRunner(client), keys, leaseMs: 5000, logger });
  });
  after(async () => {
    await store.close();
    await closeRedis(client);
    await redis.destroy();
  });

  async function evalCalls(): Promise<number> {
    const info = await client.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  }

  test('200 acquires of 100 jobs in one turn: one winner per job, one script call', async () => {
    const jobs = Array.from({ length: 100 }, (_, i) => `daily:u:${i}`);
    const calls0 = await evalCalls();
    const claims = await Promise.all([...jobs, ...jobs].map((j) => store.acquire(j)));
    const calls = (await evalCalls()) - calls0;
    const won = claims.flatMap((c) => (c.ok ? [c.claim] : []));
    assert.equal(won.length, 100);
    assert.deepEqual(new Set(won.map((c) => c?.jobKey)), new Set(jobs));
    assert.ok(calls <= 2, `expected one batched script call (two if the script was not cached), saw ${calls}`);
    assert.equal(store.held(), 100);
    const ttl = await client.pTTL(keys.claim(jobs[0] as string));
    assert.ok(ttl > 0 && ttl <= 5000, `claim has the lease as TTL, got ${ttl}`);
    // A second subscriber's store sees every job taken.
    const other = createClaimStore({ scripts: scriptRunner(client), keys, leaseMs: 5000, logger });
    assert.deepEqual((await Promise.all(jobs.map((j) => other.acquire(j)))).map((c) => c.ok), jobs.map(() => false));
    await other.close();
    await Promise.all(won.map((c) => c?.release()));
    assert.equal(store.held(), 0);
    assert.equal(await client.exists(jobs.map((j) => keys.claim(j))), 0);
  });

  test('release deletes only a claim its holder still owns', async () => {
    const [mine, stolen] = await Promise.all(['daily:u:mine', 'daily:u:stolen'].map(async (j) => {
      const c = await store.acquire(j);
      assert.ok(c.ok);
      return c.claim;
    }));
    assert.ok(mine && stolen);
    // The lease of "stolen" expired and another subscriber took the job meanwhile.
    await client.set(keys.claim('daily:u:stolen'), 'someone-else');
    await Promise.all([mine.release(), stolen.release()]);
    assert.equal(await client.get(keys.claim('daily:u:mine')), null);
    assert.equal(await client.get(keys.claim('daily:u:stolen')), 'someone-else');
  });
});
