// USER_MAX_CONCURRENT_JOBS across the fleet, on a real redis-server: two slot stores are two
// subscribers; the job runner defers a job over the limit, and both transports give a deferred
// job again as the same delivery (not a failure). The Pub/Sub backlog takes user-triggered jobs first.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, type JobMessage } from '../../src/messages.js';
import { createJobRunner } from '../../src/subscriber/job-runner.js';
import { createClaimStore } from '../../src/transport/claim-store.js';
import { keysFor } from '../../src/transport/keys.js';
import { createPubSubTransport } from '../../src/transport/pubsub/pubsub-transport.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { scriptRunner, type ScriptRunner } from '../../src/transport/scripts.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import type { Delivery, Settlement } from '../../src/transport/transport.js';
import { createUserSlots } from '../../src/transport/user-slots.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const A = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const B = '16fd2706-8baf-433b-82eb-8c7fada847da';
const noDb = {} as Db;

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('user slots (USER_MAX_CONCURRENT_JOBS)', () => {
  let redis: RedisServer;
  const clients: RedisClient[] = [];
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    for (const c of clients) await closeRedis(c);
    await redis.destroy();
  });
  const client = async () => {
    const c = await connectRedis({ url: redis.url, role: 'test', logger });
    clients.push(c);
    return c;
  };

  test('two subscribers share one limit per user; a slot not renewed lapses with its lease, a renewed one stays', async () => {
    const keys = keysFor(`slots_${randomUUID().slice(0, 8)}`);
    const clock = new FakeClock(1_700_000_000_000);
    const options = { limit: 2, leaseMs: 30_000, clock };
    const one = createUserSlots(scriptRunner(await client()), keys, options);
    const two = createUserSlots(scriptRunner(await client()), keys, options);
    const first = await one.take(A);
    const second = await two.take(A);
    assert.ok(first && second);
    assert.equal(await one.take(A), undefined, 'the third of A waits, whichever subscriber asks');
    assert.equal(await two.take(A), undefined);
    assert.ok(await one.take(B), 'another user has slots of their own');
    await second.release();
    const third = await one.take(A);
    assert.ok(third, 'a released slot is free for either subscriber');
    // One's slots are renewed; two's process "dies" holding its slot (never renewed again).
    // A clock whose timers never fire: this store never renews, as if its process had died.
    const dead = { now: () => clock.now(), setTimeout: () => ({ unref: () => undefined }), clearTimeout: () => undefined };
    const orphan = await createUserSlots(scriptRunner(await client()), keys, { ...options, limit: 3, clock: dead }).take(A);
    assert.ok(orphan);
    await clock.advance(20_000);
    await one.renew();
    await clock.advance(20_000);
    // 40 s on: the orphan lapsed (not renewed for > 30 s), one's two are still held.
    const fourth = await two.take(A);
    assert.equal(fourth, undefined, 'renewed slots are still held');
    const three = createUserSlots(scriptRunner(await client()), keys, { ...options, limit: 3 });
    assert.ok(await three.take(A), "the orphan's slot freed itself");
    await first.release();
    await third.release();
  });

  test('the takes and releases of one turn are one script call, and the limit holds within it', async () => {
    const keys = keysFor(`turn_${randomUUID().slice(0, 8)}`);
    const real = scriptRunner(await client());
    let calls = 0;
    const counting: ScriptRunner = { run: (script, k, args) => (calls++, real.run(script, k, args)) };
    const slots = createUserSlots(counting, keys, { limit: 2, leaseMs: 30_000 });
    const taken = await Promise.all([slots.take(A), slots.take(A), slots.take(A), slots.take(B)]);
    assert.deepEqual(taken.map(Boolean), [true, true, false, true], 'two of A, in order, and B apart');
    assert.equal(calls, 1, 'four takes, one call');
    assert.equal(slots.held(), 3);
    calls = 0;
    await Promise.all(taken.map((s) => s?.release()));
    assert.equal(calls, 1, 'three releases, one call');
    assert.equal(slots.held(), 0);
    assert.deepEqual((await Promise.all([slots.take(A), slots.take(A)])).map(Boolean), [true, true], 'the released slots are free again');
  });

  test('the job runner defers a job whose user has every slot running, and runs other users meanwhile', async () => {
    const c = await client();
    const keys = keysFor(`runner_${randomUUID().slice(0, 8)}`);
    const claims = createClaimStore({ scripts: scriptRunner(c), keys, leaseMs: 30_000, logger });
    const userSlots = createUserSlots(scriptRunner(c), keys, { limit: 1, leaseMs: 30_000 });
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    const run = createJobRunner({
      db: noDb, claims, logger, jobTimeoutMs: 10_000, minChars: 1, summarizerFor: () => assert.fail('no LLM'), userSlots,
      dispatch: async (msg) => {
        ran.push(`${msg.user_id === A ? 'A' : 'B'}:${msg.type === 'daily_summary' ? msg.date : ''}`);
        if (ran.length === 1) await blocked;
        return 'done';
      },
    });
    const d = (user: string, date: string): Delivery => ({ message: dailyMessage(user, date), id: `${user}-${date}`, deliveryCount: 1 });
    const stop = new AbortController().signal;
    const running = run(d(A, '2024-03-01'), stop);
    await until('first job running', () => ran.length === 1);
    const deferred = await run(d(A, '2024-03-02'), stop);
    assert.equal(deferred.kind, 'defer');
    assert.ok(deferred.kind === 'defer' && deferred.delayMs > 0);
    assert.deepEqual(await run(d(B, '2024-03-02'), stop), { kind: 'ack' }, 'B is not held up by A');
    release();
    assert.deepEqual(await running, { kind: 'ack' });
    await sleep(300); // the slot's release, and the runner's memory of "A is full", pass
    assert.deepEqual(await run(d(A, '2024-03-02'), stop), { kind: 'ack' });
    assert.deepEqual(ran, ['A:2024-03-01', 'B:2024-03-02', 'A:2024-03-02']);
    await claims.close();
  });

  test('Pub/Sub: a deferred job comes back as the same delivery; jobs a user triggered are taken before schedule jobs', async () => {
    const c = await client();
    const keys = keysFor(`ps_${randomUUID().slice(0, 8)}`);
    const transport = createPubSubTransport({ client: c, redisUrl: redis.url, keys, logger, maxDeliveries: 1 });
    const order: string[] = [];
    const counts: number[] = [];
    let gate!: () => void;
    const opened = new Promise<void>((r) => (gate = r));
    let deferredOnce = false;
    const consumer = await transport.consume(
      async (d: Delivery): Promise<Settlement> => {
        const msg = d.message as JobMessage & { date: string };
        if (msg.date === '2024-03-01') await opened;
        if (msg.date === '2024-03-09' && !deferredOnce) {
          deferredOnce = true;
          return { kind: 'defer', delayMs: 20 };
        }
        order.push(`${msg.trigger}:${msg.date}`);
        counts.push(d.deliveryCount);
        return { kind: 'ack' };
      },
      { concurrency: 1, onReject: () => assert.fail('no malformed messages'), onGiveUp: () => assert.fail('a deferral is no failure') },
    );
    try {
      await transport.publish(dailyMessage(A, '2024-03-01'));
      for (const date of ['2024-03-02', '2024-03-03', '2024-03-04']) await transport.publish(dailyMessage(A, date));
      await transport.publish(dailyMessage(B, '2024-03-05', { trigger: 'diary_saved' }));
      await transport.publish(dailyMessage(B, '2024-03-06', { trigger: 'manual' }));
      await transport.publish(dailyMessage(A, '2024-03-09'));
      await sleep(100); // all of them in the backlog behind the first
      gate();
      await until('all delivered', () => order.length === 7);
      assert.deepEqual(order.slice(0, 3), ['schedule:2024-03-01', 'diary_saved:2024-03-05', 'manual:2024-03-06']);
      assert.deepEqual(order.slice(3, 6), ['schedule:2024-03-02', 'schedule:2024-03-03', 'schedule:2024-03-04']);
      assert.equal(order[6], 'schedule:2024-03-09', 'the deferred job ran after all (maxDeliveries 1 did not give it up)');
      assert.ok(counts.every((n) => n === 1), 'a deferral is not counted as a delivery');
    } finally {
      await consumer.stop(1000);
      await transport.close();
    }
  });

  test('Streams: a deferred entry stays leased and comes back as the same delivery, never dead-lettered', async () => {
    const c = await client();
    const keys = keysFor(`st_${randomUUID().slice(0, 8)}`);
    const lease = 600;
    const transport = createStreamsTransport({ client: c, redisUrl: redis.url, keys, logger, consumerName: 'c1', leaseMs: lease, maxDeliveries: 1, blockMs: 100 });
    const seen: number[] = [];
    let defers = 0;
    const consumer = await transport.consume(
      async (d): Promise<Settlement> => {
        seen.push(d.deliveryCount);
        // Deferred for longer than the lease, several times: only renewal keeps it ours.
        if (defers < 3) {
          defers++;
          return { kind: 'defer', delayMs: lease };
        }
        return { kind: 'ack' };
      },
      { concurrency: 1, onReject: () => assert.fail('no malformed entries'), onGiveUp: () => assert.fail('a deferral is no failure') },
    );
    try {
      await transport.publish(dailyMessage(A, '2024-03-01'));
      await until('acknowledged', () => seen.length === 4, 15_000);
      assert.deepEqual(seen, [1, 1, 1, 1], 'the same delivery each time');
      await sleep(100);
      const [pending] = (await c.sendCommand(['XPENDING', keys.stream, keys.group])) as [number];
      assert.equal(pending, 0);
      assert.equal(Number(await c.sendCommand(['XLEN', keys.dead])), 0, 'nothing dead-lettered');
    } finally {
      await consumer.stop(1000);
      await transport.close();
    }
  });
});
