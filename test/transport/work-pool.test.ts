// The work pool: at most `concurrency` deliveries at once, a freed slot is reported, a crashing
// settlement is reported and frees its slot, and drain() waits for the grace, aborts, and gives up
// waiting after the unwind bound on a handler that ignores its signal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dailyMessage } from '../../src/messages.js';
import type { Delivery, Settlement } from '../../src/transport/transport.js';
import { createWorkPool } from '../../src/transport/work-pool.js';

const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const ACK: Settlement = { kind: 'ack' };

function delivery(i: number): Delivery {
  return { message: dailyMessage(USER, `2024-02-${String(i + 1).padStart(2, '0')}`), id: `d${i}`, deliveryCount: 1 };
}

/** A handler whose deliveries finish when the test says. */
function gated() {
  const open = new Map<string, (s: Settlement) => void>();
  return {
    handler: (d: Delivery) => new Promise<Settlement>((resolve) => open.set(d.id, resolve)),
    finish(id: string, s: Settlement = ACK) {
      open.get(id)?.(s);
      open.delete(id);
    },
    running: () => [...open.keys()],
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('never more than `concurrency` at once; each freed slot is reported', async () => {
  const g = gated();
  let freed = 0;
  const pool = createWorkPool(g.handler, 2, (err) => assert.fail(String(err)), () => freed++);
  const settled: string[] = [];
  const started = [0, 1, 2].map((i) => pool.tryRun(delivery(i), (s) => void settled.push(`${i}:${s.kind}`)));
  assert.deepEqual(started, [true, true, false]);
  assert.equal(pool.free(), 0);
  g.finish('d0');
  await tick();
  assert.deepEqual(settled, ['0:ack']);
  assert.equal(freed, 1);
  assert.equal(pool.free(), 1);
  assert.equal(pool.tryRun(delivery(2), (s) => void settled.push(`2:${s.kind}`)), true);
  assert.equal(pool.inFlight(), 2);
  g.finish('d1');
  g.finish('d2', { kind: 'retry', delayMs: 10, error: 'x' });
  await tick();
  assert.deepEqual(settled, ['0:ack', '1:ack', '2:retry']);
});

test('a settlement that throws is reported and still frees its slot', async () => {
  const errors: unknown[] = [];
  const pool = createWorkPool(async () => ACK, 1, (err) => errors.push(err));
  pool.tryRun(delivery(0), () => {
    throw new Error('XACK failed');
  });
  await tick();
  assert.equal(errors.length, 1);
  assert.equal(pool.free(), 1);
});

test('drain waits for running deliveries within the grace, without aborting them', async () => {
  const g = gated();
  const pool = createWorkPool((d, signal) => {
    assert.equal(signal.aborted, false);
    return g.handler(d);
  }, 3, (err) => assert.fail(String(err)));
  pool.tryRun(delivery(0), () => {});
  setTimeout(() => g.finish('d0'), 30);
  assert.equal(await pool.drain(5000), 0);
});

test('after the grace the deliveries are aborted; one that ignores it is left behind after the unwind bound', async () => {
  let aborted = 0;
  const pool = createWorkPool(
    (d, signal) =>
      new Promise<Settlement>((resolve) => {
        signal.addEventListener('abort', () => {
          aborted++;
          // d0 unwinds at once; d1 is stuck (a query on a vanished database ignores signals).
          if (d.id === 'd0') resolve({ kind: 'abandon' });
        });
      }),
    2,
    (err) => assert.fail(String(err)),
  );
  pool.tryRun(delivery(0), () => {});
  pool.tryRun(delivery(1), () => {});
  const t0 = performance.now();
  const left = await pool.drain(50, 100);
  assert.equal(aborted, 2);
  assert.equal(left, 1, 'the stuck one is reported, not waited for');
  assert.ok(performance.now() - t0 < 5000, 'drain returned');
});
