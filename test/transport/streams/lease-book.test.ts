// The lease book's state machine: queued → running → settled, backoffs, losses and the stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dailyMessage } from '../../../src/messages.js';
import { LeaseBook } from '../../../src/transport/streams/lease-book.js';
import type { Delivery } from '../../../src/transport/transport.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const d = (id: string, deliveryCount = 1): Delivery => ({ message: dailyMessage(USER, '2024-02-29'), id, deliveryCount });

test('entries start in the order they were queued, and leave only when released', () => {
  const book = new LeaseBook();
  book.enqueue('a', d('1-0'));
  book.enqueue('b', d('2-0'));
  assert.equal(book.queued, 2);
  const first = book.startNext();
  assert.equal(first?.id, '1-0');
  assert.equal(first?.state.kind, 'running');
  assert.equal(book.queued, 1);
  assert.equal(book.size, 2);
  book.release(first!);
  assert.equal(book.has('1-0'), false);
  assert.equal(book.startNext()?.id, '2-0');
  assert.equal(book.startNext(), undefined);
});

test('losing an entry: waiting ones leave at once (their timer handed back), a running one is marked and stays', () => {
  const clock = new FakeClock();
  const book = new LeaseBook();
  book.enqueue('q', d('1-0'));
  const running = book.enqueue('r', d('2-0'));
  const waiting = book.enqueue('w', d('3-0'));
  book.startNext(); // 1-0 runs
  book.release(book.get('1-0')!);
  book.startNext(); // 2-0 runs
  const w = book.startNext()!; // 3-0 runs, then waits out a backoff
  const timer = clock.setTimeout(() => {}, 1000);
  book.wait(w, timer);
  assert.deepEqual(book.lose('3-0'), { removed: true, timer });
  assert.equal(book.has('3-0'), false);
  assert.deepEqual(book.lose('2-0'), { removed: false });
  assert.equal(running.state.kind, 'lost');
  assert.equal(book.renewable().length, 0, 'a lost lease is not renewed');
  assert.deepEqual(book.lose('2-0'), { removed: false }, 'losing twice changes nothing');
  assert.equal(waiting.id, '3-0');
});

test('releasing a lease never removes a later lease of the same id (a redelivery)', () => {
  const book = new LeaseBook();
  const old = book.enqueue('x', d('1-0'));
  book.startNext();
  book.release(old);
  const again = book.enqueue('x', d('1-0', 2));
  book.release(old); // late
  assert.equal(book.get('1-0'), again);
});

test('stopping releases what waits and keeps what runs', () => {
  const clock = new FakeClock();
  const book = new LeaseBook();
  book.enqueue('a', d('1-0'));
  book.startNext();
  const w = book.enqueue('b', d('2-0'));
  book.startNext();
  const timer = clock.setTimeout(() => {}, 1000);
  book.wait(w, timer);
  book.enqueue('c', d('3-0'));
  assert.deepEqual(book.releaseIdle(), [timer]);
  assert.deepEqual([...['1-0', '2-0', '3-0'].map((id) => book.has(id))], [true, false, false]);
  assert.equal(book.queued, 0);
});
