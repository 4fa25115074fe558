// The tick lock over the claim store (a fake of its scripts): one holder per job at a time,
// free again once released, and a lock whose claim lapsed can be taken by another replica.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { createClaimStore } from '../../src/transport/claim-store.js';
import { keysFor } from '../../src/transport/keys.js';
import { createTickLock } from '../../src/transport/tick-lock.js';
import { FakeClaimScripts } from '../helpers/fake-claim-scripts.js';
import { FakeClock } from '../helpers/fake-clock.js';

const logger = createLogger({ level: 'silent' });
const keys = keysFor('tick_lock_test');

function replicas(n: number) {
  const scripts = new FakeClaimScripts();
  const clock = new FakeClock();
  const stores = Array.from({ length: n }, () => createClaimStore({ scripts, keys, leaseMs: 3000, logger, clock }));
  return { scripts, clock, stores, locks: stores.map((s) => createTickLock(s)) };
}

test('one replica at a time holds a job’s tick; other jobs are independent', async () => {
  const { locks, stores } = replicas(2);
  const [a, b] = locks as [ReturnType<typeof createTickLock>, ReturnType<typeof createTickLock>];
  const releaseA = await a.acquire('daily_summary');
  assert.ok(releaseA);
  assert.equal(await b.acquire('daily_summary'), undefined);
  assert.equal(await a.acquire('daily_summary'), undefined, 'not twice in one process either');
  const monthly = await b.acquire('monthly_summary');
  assert.ok(monthly, 'another job is not blocked');
  await releaseA();
  const releaseB = await b.acquire('daily_summary');
  assert.ok(releaseB, 'free again once released');
  await releaseB();
  await monthly();
  for (const s of stores) await s.close();
});

test('a lock whose holder died lapses with its lease; another replica then takes it', async () => {
  const { locks, scripts, stores } = replicas(2);
  const [a, b] = locks as [ReturnType<typeof createTickLock>, ReturnType<typeof createTickLock>];
  assert.ok(await a.acquire('daily_summary'));
  await (stores[0] as { close(): Promise<void> }).close(); // the holder died: no more renewals
  scripts.owners.clear(); // Redis expired its key
  assert.ok(await b.acquire('daily_summary'));
  await (stores[1] as { close(): Promise<void> }).close();
});
