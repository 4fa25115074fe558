// The job runner: how a delivery becomes a settlement. Unit cases with a fake claim-script store,
// a simulated clock for the claim renewals and fake handlers; then one case with a real Redis
// stream: a job whose claim is lost on its first delivery is delivered again, never acknowledged.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentJobError, TransientJobError } from '../../src/errors/job-errors.js';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, jobKey, type JobMessage } from '../../src/messages.js';
import { createJobRunner, type JobRunnerOptions } from '../../src/subscriber/job-runner.js';
import type { JobContext, JobOutcome } from '../../src/subscriber/job-context.js';
import { createClaimStore, type ClaimStore } from '../../src/transport/claim-store.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import type { Delivery, Settlement } from '../../src/transport/transport.js';
import type { UserSlots } from '../../src/transport/user-slots.js';
import type { Db } from '../../src/db/db.js';
import { FakeClaimScripts } from '../helpers/fake-claim-scripts.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const keys = keysFor('runner_test');
const LEASE = 3000;
/** The handlers under test never reach the database. */
const noDb = {} as Db;

function delivery(date: string, id = `1709251200000-${date.slice(8)}`, deliveryCount = 1): Delivery {
  return { message: dailyMessage(USER, date, { id: `m-${date}` }), id, deliveryCount };
}

function runnerWith(claims: ClaimStore, dispatch: (msg: JobMessage, ctx: JobContext) => Promise<JobOutcome>, extra: Partial<JobRunnerOptions> = {}) {
  return createJobRunner({ db: noDb, claims, logger, jobTimeoutMs: 10_000, minChars: 1, summarizerFor: () => assert.fail('no LLM here'), dispatch, ...extra });
}

describe('job runner', () => {
  const stop = new AbortController();

  function setup() {
    const scripts = new FakeClaimScripts();
    const clock = new FakeClock();
    const claims = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
    return { scripts, clock, claims };
  }

  test('a finished job is acknowledged and its claim released', async () => {
    const { scripts, claims } = setup();
    const run = runnerWith(claims, async () => 'done');
    assert.deepEqual(await run(delivery('2024-03-01'), stop.signal), { kind: 'ack' });
    await settle();
    assert.equal(scripts.owners.size, 0, 'claim released');
    await claims.close();
  });

  test('a transient failure is retried with backoff (Retry-After as a floor); a permanent one is acknowledged', async () => {
    const { claims } = setup();
    const transient = runnerWith(claims, async () => {
      throw new TransientJobError('HTTP 429', { retryAfterMs: 7000 });
    }, { retryBaseMs: 100 });
    const s = await transient(delivery('2024-03-02'), stop.signal);
    assert.equal(s.kind, 'retry');
    assert.ok(s.kind === 'retry' && s.delayMs >= 7000 && /429/.test(s.error));
    const permanent = runnerWith(claims, async () => {
      throw new PermanentJobError('HTTP 401 invalid api key');
    });
    assert.deepEqual(await permanent(delivery('2024-03-03'), stop.signal), { kind: 'ack' });
    await claims.close();
  });

  test('Redis failing before the job starts (its claim, its user slot) defers the same delivery and spends none of MAX_DELIVERIES', async () => {
    const { scripts, claims } = setup();
    let claimErrors = 1;
    const flaky: ClaimStore = { ...claims, acquire: (key, holder) => (claimErrors-- > 0 ? Promise.reject(new Error('OOM command not allowed')) : claims.acquire(key, holder)) };
    let slotErrors = 1;
    const userSlots: UserSlots = {
      take: async () => {
        if (slotErrors-- > 0) throw new Error('READONLY You can’t write against a read only replica.');
        return { release: async () => {} };
      },
      held: () => 0,
      renew: async () => {},
    };
    let ran = 0;
    const run = runnerWith(flaky, async () => (ran++, 'done'), { userSlots });
    const d = delivery('2024-03-09');
    for (const what of ['claim', 'user slot']) {
      const s = await run(d, stop.signal);
      assert.equal(s.kind, 'defer', `${what} unavailable: deferred, not retried (a retry is one more delivery)`);
      assert.ok(s.kind === 'defer' && s.delayMs >= 1000);
      assert.equal(ran, 0);
    }
    await settle();
    assert.equal(scripts.owners.size, 0, 'the claim taken before the user slot failed is released');
    assert.deepEqual(await run(d, stop.signal), { kind: 'ack' }, 'Redis back: the same delivery runs');
    assert.equal(ran, 1);
    await claims.close();
  });

  test('a job claimed by another delivery is a duplicate; a stream entry still claimed by its own dead run waits for the claim to lapse', async () => {
    const { scripts, claims } = setup();
    let ran = 0;
    const run = runnerWith(claims, async () => {
      ran++;
      return 'done';
    });
    const d = delivery('2024-03-04', '1709510400000-0');
    // Another process holds the job for another entry of it.
    scripts.owners.set(keys.claim(jobKey(d.message)), `${randomUUID()}:1709510400999-0`);
    assert.deepEqual(await run(d, stop.signal), { kind: 'duplicate' });
    // The subscriber that died with this very entry still holds its claim: the entry, taken over,
    // waits as the same delivery (handing it back would spend one of MAX_DELIVERIES; seed 101).
    scripts.owners.set(keys.claim(jobKey(d.message)), `${randomUUID()}:${d.id}`);
    const waited = await run({ ...d, deliveryCount: 2, exclusive: true }, stop.signal);
    assert.equal(waited.kind, 'defer');
    assert.ok(waited.kind === 'defer' && waited.delayMs >= 500 && waited.delayMs < 1000);
    // A Pub/Sub copy with the same id is another subscriber's copy of the broadcast, running now:
    // waiting would run the job a second time after it.
    assert.deepEqual(await run(d, stop.signal), { kind: 'duplicate' });
    assert.equal(ran, 0, 'none ran the handler');
    await claims.close();
  });

  test('a job whose claim is lost while it runs is aborted and abandoned, not acknowledged', async () => {
    const { scripts, clock, claims } = setup();
    let sawAbort = false;
    const run = runnerWith(claims, async (_msg, ctx) => {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => {
        sawAbort = true;
        reject(ctx.signal.reason);
      }));
      return 'done';
    });
    const d = delivery('2024-03-05');
    const settled = run(d, stop.signal);
    await settle();
    scripts.owners.delete(keys.claim(jobKey(d.message))); // the lease lapsed, or Redis lost it
    await clock.advance(LEASE / 3);
    assert.deepEqual(await settled, { kind: 'abandon' });
    assert.ok(sawAbort, 'the handler was told to stop');
    await claims.close();
  });

  test('JOB_TIMEOUT aborts the handler and retries the job', async () => {
    const { claims } = setup();
    const run = runnerWith(claims, async (_msg, ctx) => new Promise<JobOutcome>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))), { jobTimeoutMs: 50 });
    const s = await run(delivery('2024-03-06'), stop.signal);
    assert.ok(s.kind === 'retry' && /timed out after 50ms/.test(s.error), JSON.stringify(s));
    await claims.close();
  });
});

describe('job runner on a real stream', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.destroy();
  });

  test('a claim lost on the first delivery leaves the entry pending; it is delivered again and finished', async () => {
    const lease = 600;
    const k = keysFor(`runner_${randomUUID().slice(0, 8)}`);
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const claims = createClaimStore({ scripts: scriptRunner(client), keys: k, leaseMs: lease, logger });
    const transport = createStreamsTransport({ client, redisUrl: redis.url, keys: k, logger, consumerName: 'c1', leaseMs: lease, maxDeliveries: 5, blockMs: 100 });
    const runs: number[] = [];
    const settlements: Settlement['kind'][] = [];
    const runner = runnerWith(claims, async (msg, ctx) => {
      runs.push(Date.now());
      if (runs.length === 1) {
        // The claim vanishes mid-job (Redis restarted without it, say): the renewal notices.
        await client.del(k.claim(jobKey(msg)));
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      }
      return 'done';
    });
    const consumer = await transport.consume(
      async (d, signal) => {
        const s = await runner(d, signal);
        settlements.push(s.kind);
        return s;
      },
      { concurrency: 2, onReject: () => assert.fail('no malformed entries') },
    );
    try {
      await transport.publish(dailyMessage(USER, '2024-02-29', { id: 'leap' }));
      const deadline = Date.now() + 10 * lease;
      while (!settlements.includes('ack') && Date.now() < deadline) await sleep(50);
      assert.deepEqual(settlements, ['abandon', 'ack'], 'abandoned, then delivered again and finished');
      assert.equal(runs.length, 2);
      await sleep(100);
      const [pending] = (await client.sendCommand(['XPENDING', k.stream, k.group])) as [number];
      assert.equal(pending, 0, 'acknowledged once done');
    } finally {
      await consumer.stop(1000);
      await claims.close();
      await transport.close();
      await closeRedis(client);
    }
  });
});
