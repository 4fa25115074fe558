// Issue 21's rules without Redis or a database: the re-announce window, admission from reported
// capacity, and SCHEDULER_MAX_PER_USER's interleaving. Time is a FakeClock's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFleet } from '../../src/scheduler/admission.js';
import { CAP_INTERVALS, DURABLE_HOLD_MS, FLOOR_MS, SLACK, reannounceAfterMs, windowFloorMs } from '../../src/scheduler/announce-window.js';
import { PerUserCap, interleaveByUser } from '../../src/scheduler/fair-order.js';
import type { FleetCapacity } from '../../src/transport/inspector.js';
import { FakeClock } from '../helpers/fake-clock.js';

const pubsub = (over: Partial<FleetCapacity> = {}): FleetCapacity => ({
  via: 'pubsub', durable: false, room: 100, ahead: 0, rate: 0, slots: 0, lostAgoMs: null, consumed: null, ...over,
});

describe('re-announce window', () => {
  test('a durable (stream) entry is held, whatever the queue', () => {
    assert.equal(reannounceAfterMs({ ...pubsub(), durable: true, via: 'streams' }, 5, 1000), DURABLE_HOLD_MS);
  });

  test('Pub/Sub: the jobs ahead over the measured rate, with slack, never below the floor', () => {
    // 10 jobs/s, 1,000 ahead: the 1st waits ~100 s, the 500th ~150 s.
    const cap = pubsub({ rate: 10, ahead: 1000 });
    assert.equal(reannounceAfterMs(cap, 0, 60_000), SLACK * 100_100);
    assert.equal(reannounceAfterMs(cap, 499, 60_000), SLACK * 150_000);
    // A rate collapsed under faults: never more than CAP_INTERVALS intervals (nor under the floor).
    assert.equal(reannounceAfterMs(pubsub({ rate: 0.01, ahead: 1000 }), 0, 60_000), CAP_INTERVALS * 60_000);
    assert.equal(reannounceAfterMs(pubsub({ rate: 0.01, ahead: 1000 }), 0, 1000), FLOOR_MS);
    // An idle fast fleet: the floor (two intervals, at least 30 s).
    assert.equal(reannounceAfterMs(pubsub({ rate: 1000 }), 0, 1000), FLOOR_MS);
    assert.equal(reannounceAfterMs(pubsub({ rate: 1000 }), 0, 300_000), 600_000);
    assert.equal(windowFloorMs(300_000), 600_000);
  });

  test('Pub/Sub with no rate measured yet: slots × an assumed job time, or the floor', () => {
    assert.equal(reannounceAfterMs(pubsub({ slots: 10, ahead: 99 }), 0, 60_000), SLACK * 300_000);
    assert.equal(reannounceAfterMs(pubsub(), 0, 1000), FLOOR_MS);
  });

  test('a later position never gets an earlier window (convergence: each is re-announced in turn)', () => {
    const cap = pubsub({ rate: 3, ahead: 7 });
    let last = 0;
    for (let i = 0; i < 200; i++) {
      const w = reannounceAfterMs(cap, i, 1000);
      assert.ok(w >= last);
      last = w;
    }
  });
});

describe('admission', () => {
  test('room is what the fleet reports, less what this process published since the report could see it', async () => {
    const clock = new FakeClock();
    let cap = pubsub({ room: 100, rate: 10 });
    const fleet = createFleet({ inspector: { capacity: async () => cap }, clock });
    const first = await fleet.open(new Date(clock.now()), 1000);
    assert.equal(first.room, 100);
    first.spend(60);
    const second = await fleet.open(new Date(clock.now()), 1000);
    assert.equal(second.room, 40, 'the report a moment later does not yet show the 60');
    assert.equal(second.capacity.ahead, 60);
    await clock.advance(3000);
    cap = pubsub({ room: 70, rate: 10 });
    assert.equal((await fleet.open(new Date(clock.now()), 1000)).room, 70, 'a later report shows them itself');
  });

  test('streams: the high-water mark is passed to the inspector; nothing is subtracted (the stream is exact)', async () => {
    const clock = new FakeClock();
    let asked = 0;
    const fleet = createFleet({
      inspector: { capacity: async (hw) => ((asked = hw), { ...pubsub(), via: 'streams', durable: true, room: hw - 400, ahead: 400 }) },
      highWater: 1000,
      clock,
    });
    const a = await fleet.open(new Date(clock.now()), 1000);
    assert.equal(asked, 1000);
    assert.equal(a.room, 600);
    a.spend(600);
    assert.equal((await fleet.open(new Date(clock.now()), 1000)).room, 600);
    assert.equal(a.reannounceAt(0).getTime(), clock.now() + DURABLE_HOLD_MS);
  });

  test('never negative, never above the per-tick bound', async () => {
    const fleet = createFleet({ inspector: { capacity: async () => pubsub({ room: 5_000_000 }) }, maxPerTick: 1000 });
    assert.equal((await fleet.open(new Date(), 1000)).room, 1000);
    const none = createFleet({ inspector: { capacity: async () => pubsub({ room: 0 }) } });
    const a = await none.open(new Date(), 1000);
    assert.equal(a.room, 0);
  });
});

describe('SCHEDULER_MAX_PER_USER', () => {
  test('caps each user per tick', () => {
    const cap = new PerUserCap(2);
    assert.deepEqual(['a', 'a', 'b', 'a', 'b', 'b'].map((u) => cap.take(u)), [true, true, true, false, true, false]);
  });

  test('interleaves users, keeping each user’s order and the order users first appear in', () => {
    const items = ['a1', 'a2', 'a3', 'b1', 'c1', 'c2'];
    assert.deepEqual(interleaveByUser(items, (s) => s[0] as string), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    assert.deepEqual(interleaveByUser([], (s: string) => s), []);
  });
});

test('streams: the mark rises to twice what the subscribers read in an interval, up to a ceiling', async () => {
  const clock = new FakeClock();
  let consumed = 0;
  const marks: number[] = [];
  const fleet = createFleet({
    inspector: { capacity: async (hw) => (marks.push(hw), { ...pubsub(), via: 'streams', durable: true, room: hw, consumed }) },
    highWater: 1000,
    clock,
  });
  await fleet.open(new Date(clock.now()), 10_000);
  await clock.advance(10_000);
  consumed = 50_000; // 5,000 a second
  await fleet.open(new Date(clock.now()), 10_000);
  const third = await fleet.open(new Date(clock.now()), 10_000);
  assert.deepEqual(marks, [1000, 1000, 100_000]);
  assert.equal(third.capacity.rate, 5000);
  consumed = 10_050_000;
  await clock.advance(10_000);
  await fleet.open(new Date(clock.now()), 10_000);
  await fleet.open(new Date(clock.now()), 10_000);
  assert.equal(marks.at(-1), 200_000);
});
