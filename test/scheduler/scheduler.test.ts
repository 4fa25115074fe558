// The scheduler loop with a simulated clock, a fake tick lock and fake jobs, on an in-memory
// PGlite (the slot claims are real SQL): it ticks at every slot start, keeps ticking through any
// error a tick meets, runs one tick per slot across replicas even when the lock forgets, and stops.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schedulerTicks } from '../../src/metrics.js';
import { createScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import type { ScheduledJob, TickContext, TickResult } from '../../src/scheduler/scheduled-job.js';
import type { TickLock } from '../../src/transport/tick-lock.js';
import { suiteDb } from '../helpers/db.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLog, counterValue } from '../helpers/log-capture.js';

const INTERVAL = 60_000;
let jobSeq = 0;

/** A job that records when it ran and answers with `run`'s result (or its error). */
function fakeJob(run: (ctx: TickContext, n: number) => Promise<TickResult> = async () => ({ found: 0, published: 0, failed: 0 })) {
  const name = `job_${++jobSeq}`;
  const ran: number[] = [];
  const job: ScheduledJob = {
    name,
    intervalMs: INTERVAL,
    run: (ctx) => {
      ran.push(ctx.now.getTime());
      return run(ctx, ran.length);
    },
  };
  return { job, ran, name };
}

/** An in-memory tick lock shared by "replicas"; `failNext` makes the next acquire fail like Redis would. */
function fakeLock() {
  const held = new Set<string>();
  const errors: Error[] = [];
  const lock: TickLock & { failNext(err: Error): void; forget(): void } = {
    async acquire(job) {
      const err = errors.shift();
      if (err) throw err;
      if (held.has(job)) return undefined;
      held.add(job);
      return async () => void held.delete(job);
    },
    failNext: (err) => void errors.push(err),
    forget: () => held.clear(),
  };
  return lock;
}

describe('scheduler loop', () => {
  const db = suiteDb('pglite');

  function scheduler(jobs: ScheduledJob[], clock: FakeClock, lock: TickLock | undefined, log = captureLog()): Scheduler {
    return createScheduler({ jobs, db: db(), logger: log.logger, publish: async () => {}, clock, jitterMs: 0, ...(lock ? { lock } : {}) });
  }

  test('ticks at once, then at every slot start', async () => {
    const clock = new FakeClock('2024-03-01T00:00:30Z');
    const { job, ran } = fakeJob();
    const s = scheduler([job], clock, fakeLock());
    s.start();
    await clock.advance(0);
    await clock.advance(3 * INTERVAL);
    await s.stop();
    assert.deepEqual(
      ran.map((t) => new Date(t).toISOString()),
      ['2024-03-01T00:00:30.000Z', '2024-03-01T00:01:00.000Z', '2024-03-01T00:02:00.000Z', '2024-03-01T00:03:00.000Z'],
    );
  });

  test('a Redis error reply while taking the lock fails that tick only: logged, counted, and the next slot runs', async () => {
    const clock = new FakeClock('2024-03-01T00:00:00Z');
    const { job, ran, name } = fakeJob();
    const lock = fakeLock();
    const log = captureLog();
    lock.failNext(new Error('LOADING Redis is loading the dataset in memory'));
    const s = scheduler([job], clock, lock, log);
    s.start();
    await clock.advance(0);
    assert.equal(ran.length, 0, 'the first tick could not take its lock');
    lock.failNext(new Error('READONLY You can\'t write against a read only replica.'));
    await clock.advance(INTERVAL);
    assert.equal(ran.length, 0);
    await clock.advance(INTERVAL);
    await s.stop();
    assert.equal(ran.length, 1, 'the scheduler kept ticking and ran once the lock worked');
    assert.equal(await counterValue(schedulerTicks, { job: name, outcome: 'error' }), 2);
    assert.equal(await counterValue(schedulerTicks, { job: name, outcome: 'ok' }), 1);
    assert.deepEqual(
      log.find('tick failed; the next one tries again').map((l) => l.err),
      ['LOADING Redis is loading the dataset in memory', "READONLY You can't write against a read only replica."],
    );
  });

  test('a tick whose job throws (the database away) does not stop the next ones', async () => {
    const clock = new FakeClock('2024-03-01T00:00:00Z');
    const { job, ran, name } = fakeJob(async (_ctx, n) => {
      if (n <= 2) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return { found: 3, published: 3, failed: 0 };
    });
    const s = scheduler([job], clock, fakeLock());
    s.start();
    await clock.advance(3 * INTERVAL);
    await s.stop();
    assert.equal(ran.length, 4);
    assert.equal(await counterValue(schedulerTicks, { job: name, outcome: 'error' }), 2);
    assert.equal(await counterValue(schedulerTicks, { job: name, outcome: 'ok' }), 2);
  });

  test('two replicas sharing the lock and the database: one tick per slot', async () => {
    const clock = new FakeClock('2024-03-01T00:00:10Z');
    const { job, ran } = fakeJob(async () => ({ found: 0, published: 0, failed: 0 }));
    const lock = fakeLock();
    const a = scheduler([job], clock, lock);
    const b = scheduler([job], clock, lock);
    a.start();
    b.start();
    await clock.advance(4 * INTERVAL);
    await Promise.all([a.stop(), b.stop()]);
    const slots = ran.map((t) => Math.floor(t / INTERVAL));
    assert.equal(new Set(slots).size, slots.length, `one tick per slot: ${slots.join(', ')}`);
    assert.equal(slots.length, 5);
  });

  test('a slot that ran is not run again when the lock has forgotten everything (Redis lost its keys)', async () => {
    const clock = new FakeClock('2024-03-01T00:00:10Z');
    const { job, ran } = fakeJob();
    const lock = fakeLock();
    const a = scheduler([job], clock, lock);
    a.start();
    await clock.advance(0);
    await a.stop();
    lock.forget();
    const b = scheduler([job], clock, lock);
    b.start(); // same slot, a new replica, a lock with no memory
    await clock.advance(0);
    await b.stop();
    assert.equal(ran.length, 1);
  });

  test('stop() waits for the running tick and schedules nothing after it', async () => {
    const clock = new FakeClock('2024-03-01T00:00:00Z');
    let finish: (() => void) | undefined;
    const { job, ran } = fakeJob(() => new Promise((resolve) => (finish = () => resolve({ found: 1, published: 1, failed: 0 }))));
    const s = scheduler([job], clock, fakeLock());
    s.start();
    await clock.advance(0);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await clock.advance(0);
    assert.equal(stopped, false, 'still waiting for the tick');
    finish?.();
    await stopping;
    assert.equal(clock.pending, 0, 'no timer left behind');
    assert.equal(ran.length, 1);
  });

  test('runOnce runs every job without the lock and reports the ones that failed', async () => {
    const clock = new FakeClock('2024-03-01T00:00:00Z');
    const ok = fakeJob(async () => ({ found: 2, published: 2, failed: 0 }));
    const bad = fakeJob(async () => {
      throw new Error('NOPERM this user has no permissions to run the publish command');
    });
    const lock = fakeLock();
    await lock.acquire(ok.name); // held elsewhere: --once ignores it
    const report = await scheduler([ok.job, bad.job], clock, lock).runOnce();
    assert.deepEqual(report.results, { [ok.name]: { found: 2, published: 2, failed: 0 } });
    assert.deepEqual(Object.keys(report.failures), [bad.name]);
    assert.match(report.failures[bad.name] ?? '', /NOPERM/);
  });
});
