// The streams consumer's parts together over an in-memory stream and a simulated clock: runs and
// acknowledges, retries an acknowledgement, retries with backoff and dead-letters, hands back
// what it abandons, survives a peer taking an entry over, takes over a dead peer's entries, and
// stops in its written order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/logger.js';
import { dailyMessage, toWire } from '../../../src/messages.js';
import { startStreamsConsumer, type StreamsConsumer } from '../../../src/transport/streams/streams-consumer.js';
import type { ConsumeOptions, DeliveryHandler, GiveUp, Settlement } from '../../../src/transport/transport.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeStream } from '../../helpers/fake-stream.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const LEASE = 3000;
const noJanitor = { start() {}, stop: async () => {} };

function job(day: number): string {
  return toWire(dailyMessage(USER, `2024-02-${String(day).padStart(2, '0')}`, { id: `job-${day}` }));
}

function start(stream: FakeStream, clock: FakeClock, name: string, handler: DeliveryHandler, consume: Partial<ConsumeOptions> = {}, maxDeliveries = 3): StreamsConsumer {
  return startStreamsConsumer(handler, { concurrency: 2, onReject: () => {}, ...consume }, {
    ops: stream.opsFor(name),
    janitor: noJanitor,
    logger,
    leaseMs: LEASE,
    maxDeliveries,
    renewEveryMs: LEASE / 3,
    recoverEveryMs: LEASE / 2,
    clock,
  });
}

test('entries are run, acknowledged once, and the stream is left with nothing pending', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const seen: string[] = [];
  const c = start(stream, clock, 'a', async (d) => {
    seen.push(d.id);
    return { kind: 'ack' };
  });
  const ids = [1, 2, 3, 4, 5].map((day) => stream.add(job(day)));
  await clock.advance(10);
  assert.deepEqual(seen.sort(), [...ids].sort());
  assert.deepEqual(stream.acked.sort(), [...ids].sort());
  assert.equal(stream.pending.size, 0);
  await c.stop(1000);
});

test('a malformed entry is rejected once and dropped from the stream', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const rejected: string[] = [];
  const c = start(stream, clock, 'a', async () => assert.fail('not run'), { onReject: (reason) => rejected.push(reason) });
  const id = stream.add('{"type":"weekly"}');
  const bare = stream.add(undefined);
  await clock.advance(10);
  assert.deepEqual(rejected, ['unknown_type', 'invalid_field']);
  assert.equal(stream.entries.has(id) || stream.entries.has(bare), false);
  await c.stop(1000);
});

test('an acknowledgement that fails is tried again: the finished job is not redelivered', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  let runs = 0;
  const c = start(stream, clock, 'a', async () => {
    runs++;
    return { kind: 'ack' };
  });
  stream.fail('ack', 2);
  const id = stream.add(job(1));
  await clock.advance(10);
  assert.equal(stream.pending.has(id), true, 'not acknowledged yet');
  await clock.advance(2500); // two more tries, a second apart
  assert.deepEqual(stream.acked, [id]);
  await clock.advance(2 * LEASE); // lease renewals kept it; nobody took it over
  assert.equal(runs, 1);
  await c.stop(1000);
});

test('a transient failure is retried after its backoff with the delivery count bumped, then dead-lettered at MAX_DELIVERIES', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const counts: number[] = [];
  const gaveUp: Array<{ error: string; outcome: GiveUp }> = [];
  const c = start(
    stream,
    clock,
    'a',
    async (d) => {
      counts.push(d.deliveryCount);
      return { kind: 'retry', delayMs: 500, error: `503 #${d.deliveryCount}` };
    },
    { onGiveUp: (_d, error, outcome) => gaveUp.push({ error, outcome }) },
  );
  const id = stream.add(job(7));
  await clock.advance(2000);
  assert.deepEqual(counts, [1, 2, 3]);
  assert.deepEqual(gaveUp, [{ error: '503 #3', outcome: { deadLettered: true } }]);
  assert.deepEqual(stream.dead.map((e) => [e.id, e.deliveries, e.error]), [[id, 3, '503 #3']]);
  assert.equal(stream.pending.size, 0);
  await c.stop(1000);
});

test('an abandoned entry is never acknowledged; once its lease lapses it is delivered again', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const runs: number[] = [];
  const a = start(stream, clock, 'a', async (d) => {
    runs.push(d.deliveryCount);
    return runs.length === 1 ? { kind: 'abandon' } : { kind: 'ack' };
  });
  const id = stream.add(job(3));
  await clock.advance(LEASE - 100);
  assert.deepEqual(runs, [1], 'not run again while its lease could still be another’s');
  assert.equal(stream.acked.length, 0);
  assert.equal(stream.pending.has(id), true);
  await clock.advance(LEASE);
  assert.deepEqual(runs, [1, 2], 'delivered again after the lease');
  assert.deepEqual(stream.acked, [id]);
  await a.stop(1000);
});

test('an entry taken over while it runs is marked lost: its retry is left to the new owner', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  let finish: ((s: Settlement) => void) | undefined;
  const a = start(stream, clock, 'a', () => new Promise<Settlement>((resolve) => (finish = resolve)));
  const id = stream.add(job(4));
  await clock.advance(10);
  assert.ok(finish, 'running on a');
  stream.pending.get(id)!.owner = 'b'; // a peer's XAUTOCLAIM won (a's renewals were late)
  await clock.advance(LEASE / 3); // a's next renewal finds it gone
  finish({ kind: 'retry', delayMs: 100, error: 'timeout' });
  await clock.advance(1000);
  assert.equal(stream.pending.get(id)?.owner, 'b', 'a did not claim it back for a retry');
  assert.equal(stream.acked.length, 0);
  await a.stop(1000);
});

test('a dead peer’s entries are taken over after JOB_LEASE, not before', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const dead = stream.opsFor('dead');
  stream.add(job(5));
  stream.add(job(6));
  await dead.readNew(10); // delivered to a consumer that then died
  const ran: number[] = [];
  const b = start(stream, clock, 'b', async (d) => {
    ran.push(d.deliveryCount);
    return { kind: 'ack' };
  });
  await clock.advance(LEASE - 100);
  assert.equal(ran.length, 0, 'still leased to the dead one');
  await clock.advance(LEASE);
  assert.deepEqual(ran, [2, 2]);
  assert.equal(stream.pending.size, 0);
  await b.stop(1000);
});

test('stop: what waits stays pending for peers, what runs finishes, and nothing is acknowledged unfinished', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const finishers: Array<() => void> = [];
  const c = start(stream, clock, 'a', () => new Promise<Settlement>((resolve) => finishers.push(() => resolve({ kind: 'ack' }))));
  const ids = [1, 2, 3, 4].map((day) => stream.add(job(day)));
  await clock.advance(10);
  assert.equal(finishers.length, 2, 'two slots');
  const stopping = c.stop(5000);
  await clock.advance(10);
  for (const f of finishers) f();
  await clock.advance(1100);
  await stopping;
  assert.equal(stream.acked.length, 2);
  const left = ids.filter((id) => !stream.acked.includes(id));
  assert.equal(left.length, 2);
  for (const id of left) assert.equal(stream.pending.get(id)?.owner ?? 'undelivered', stream.pending.has(id) ? 'a' : 'undelivered');
});
