// The read-ahead (stream-reader.ts): an acknowledgement carries a non-blocking read of the next
// entries. Pinned here: the next entries do come that way, a read-ahead whose reply is lost loses
// nothing (its entries are read back from own pending), the held bound holds with it, one read of
// new entries is out at a time, and nothing is read ahead while stopping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../src/logger.js';
import { dailyMessage, toWire } from '../../../src/messages.js';
import type { StreamEntry } from '../../../src/transport/streams/stream-commands.js';
import type { StreamOps } from '../../../src/transport/streams/stream-ops.js';
import { startStreamsConsumer, type StreamsConsumer } from '../../../src/transport/streams/streams-consumer.js';
import type { DeliveryHandler, Settlement } from '../../../src/transport/transport.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeStream } from '../../helpers/fake-stream.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const LEASE = 3000;
const noJanitor = { start() {}, stop: async () => {} };

function job(i: number): string {
  return toWire(dailyMessage(USER, '2024-02-01', { id: `job-${i}` }));
}

interface Counted {
  ops: StreamOps;
  /** Blocking reads of the reader loop. */
  blocking: number;
  /** Read-aheads sent with an acknowledgement. */
  aheads: number;
  /** Most reads of new entries out at once. */
  maxOut: number;
  /** Most entries pending under this consumer right after a read answered. */
  maxHeldAfterRead: number;
}

/**
 * One consumer's fake ops with ackAndRead, counting reads. The read-ahead reads on a second ops of
 * the same name (its own blocking state), unblocked at once: XREADGROUP without BLOCK.
 */
function counted(stream: FakeStream, name: string, loseReply: () => boolean = () => false): Counted {
  const ops = stream.opsFor(name);
  const aheadOps = stream.opsFor(name);
  let out = 0;
  const held = () => [...stream.pending.values()].filter((p) => p.owner === name).length;
  const track = (read: Promise<StreamEntry[]>): Promise<StreamEntry[]> => {
    out++;
    c.maxOut = Math.max(c.maxOut, out);
    return read.finally(() => {
      out--;
      c.maxHeldAfterRead = Math.max(c.maxHeldAfterRead, held());
    });
  };
  const c: Counted = {
    blocking: 0,
    aheads: 0,
    maxOut: 0,
    maxHeldAfterRead: 0,
    ops: {
      ...ops,
      readNew: (count) => {
        c.blocking++;
        return track(ops.readNew(count));
      },
      ackAndRead(ids, count) {
        c.aheads++;
        const acked = ops.ack(ids);
        const read = aheadOps.readNew(count);
        aheadOps.unblockRead();
        // Delivered by the server, the reply lost with the connection.
        const answered = loseReply() ? read.then((): StreamEntry[] => { throw new Error('connection lost'); }) : read;
        return { acked, read: track(answered) };
      },
    },
  };
  return c;
}

function start(ops: StreamOps, clock: FakeClock, handler: DeliveryHandler, concurrency: number): StreamsConsumer {
  return startStreamsConsumer(handler, { concurrency, onReject: () => {} }, {
    ops, janitor: noJanitor, logger, leaseMs: LEASE, maxDeliveries: 3, renewEveryMs: LEASE / 3, recoverEveryMs: LEASE / 2, clock,
  });
}

/** Advances the clock a little at a time until `done` (turn-batched work hands on turn by turn). */
async function until(clock: FakeClock, done: () => boolean, steps = 500): Promise<void> {
  for (let i = 0; i < steps && !done(); i++) await clock.advance(1);
  assert.ok(done(), 'condition not reached');
}

test('the next entries come with the acknowledgement: a read-ahead per batch, not a blocking read', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  for (let i = 0; i < 50; i++) stream.add(job(i));
  const c = counted(stream, 'a');
  let done = 0;
  const consumer = start(c.ops, clock, async () => {
    done++;
    return { kind: 'ack' };
  }, 5);
  await until(clock, () => stream.acked.length === 50);
  assert.equal(done, 50);
  assert.equal(stream.pending.size, 0);
  // The first batch by a blocking read, the other nine by read-aheads; then one blocking read
  // waits on the empty stream.
  assert.ok(c.aheads >= 9, `read-aheads: ${c.aheads}`);
  assert.ok(c.blocking <= 3, `blocking reads: ${c.blocking}`);
  await consumer.stop(1000);
});

test('a read-ahead whose reply is lost loses nothing: its entries are read back from own pending', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const ids = Array.from({ length: 20 }, (_, i) => stream.add(job(i)));
  let lose = 1;
  const c = counted(stream, 'a', () => lose-- > 0);
  const runs = new Map<string, number>();
  const consumer = start(c.ops, clock, async (d) => {
    runs.set(d.id, d.deliveryCount);
    return { kind: 'ack' };
  }, 4);
  // Well before JOB_LEASE: no peer takeover, the reader itself goes back to its own pending.
  await until(clock, () => stream.acked.length === 20, 200);
  assert.ok(clock.now() - Date.parse('2024-03-01T00:00:00Z') < LEASE);
  assert.deepEqual([...runs.keys()].sort(), [...ids].sort());
  assert.equal(stream.pending.size, 0);
  // The four of the lost reply were claimed back (a second delivery), the rest read once.
  assert.equal([...runs.values()].filter((n) => n === 2).length, 4);
  assert.ok(c.aheads >= 2);
  await consumer.stop(1000);
});

test('with read-ahead never more entries are held than the concurrency, and one read is out at a time', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  const N = 4;
  for (let i = 0; i < 200; i++) stream.add(job(i));
  const c = counted(stream, 'a');
  let running = 0;
  let maxRunning = 0;
  let maxHeld = 0;
  let i = 0;
  const consumer = start(c.ops, clock, async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    maxHeld = Math.max(maxHeld, [...stream.pending.values()].filter((p) => p.owner === 'a').length);
    // Uneven run times, so acknowledgements come in batches of every size.
    await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), (i++ * 7) % 5));
    running--;
    return { kind: 'ack' };
  }, N);
  await until(clock, () => stream.acked.length === 200, 2000);
  assert.ok(c.aheads > 10, `read-aheads: ${c.aheads}`);
  assert.ok(maxRunning <= N, `running: ${maxRunning}`);
  assert.ok(maxHeld <= N, `held at a start: ${maxHeld}`);
  assert.ok(c.maxHeldAfterRead <= N, `held after a read: ${c.maxHeldAfterRead}`);
  assert.equal(c.maxOut, 1, 'one read of new entries at a time');
  await consumer.stop(1000);
});

test('nothing is read ahead while stopping: the acknowledgements of the last runs go alone', async () => {
  const clock = new FakeClock();
  const stream = new FakeStream(clock);
  for (let i = 0; i < 2; i++) stream.add(job(i));
  const c = counted(stream, 'a');
  // A takeover round that hangs holds the stop between 'take no more work' and the reader's end,
  // the window in which acknowledgements still go out.
  let claiming = false;
  const ops: StreamOps = {
    ...c.ops,
    autoClaim: () => {
      claiming = true;
      return new Promise(() => {});
    },
  };
  const finishers: Array<() => void> = [];
  const consumer = start(ops, clock, () => new Promise<Settlement>((resolve) => finishers.push(() => resolve({ kind: 'ack' }))), 4); // free slots: the takeover round does run
  await until(clock, () => finishers.length === 2 && claiming, 2000);
  // The reader's blocking read times out; the round's reservation leaves it no room, so no read
  // of its own is out when the acknowledgements go.
  await clock.advance(600);
  const before = c.aheads;
  const stopping = consumer.stop(5000);
  for (const f of finishers.splice(0)) f();
  await clock.advance(10);
  assert.equal(stream.acked.length, 2, 'acknowledged while the stop waits for the takeover round');
  await clock.advance(1100);
  await stopping;
  assert.equal(c.aheads, before, 'no read-ahead once stopping');
  assert.equal(finishers.length, 0, 'nothing new started');
});
