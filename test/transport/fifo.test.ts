// The backlog queue keeps order and length across compactions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Fifo } from '../../src/transport/pubsub/fifo.js';

test('Fifo behaves like an array used as a queue', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('take' as const)), { maxLength: 5000 }), (ops) => {
      const q = new Fifo<number>();
      const model: number[] = [];
      for (const op of ops) {
        if (op === 'take') assert.equal(q.shift(), model.shift());
        else {
          q.push(op);
          model.push(op);
        }
        assert.equal(q.length, model.length);
      }
    }),
  );
});

test('Fifo compacts a long consumed prefix without losing items', () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 10_000; i++) q.push(i);
  for (let i = 0; i < 9_000; i++) assert.equal(q.shift(), i);
  assert.equal(q.length, 1000);
  for (let i = 9_000; i < 10_000; i++) assert.equal(q.shift(), i);
  assert.equal(q.shift(), undefined);
  q.clear();
  assert.equal(q.length, 0);
});
