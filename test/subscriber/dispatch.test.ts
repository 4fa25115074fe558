// Dispatch on `type`: each message reaches the handler of its own type — with a third type too,
// which the old ternary sent to the monthly handler — and a table missing a type does not compile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dispatcher, handlers, type HandlerTable } from '../../src/subscriber/handlers/index.js';

type Daily = { type: 'daily_summary'; date: string };
type Monthly = { type: 'monthly_summary'; month: number };
type Weekly = { type: 'weekly_summary'; week: number };
type Message = Daily | Monthly | Weekly;

test('every type reaches its own handler, a third type included', () => {
  const run = dispatcher<Message, string, string>({
    daily_summary: (m, ctx) => `daily ${m.date} ${ctx}`,
    monthly_summary: (m, ctx) => `monthly ${m.month} ${ctx}`,
    weekly_summary: (m, ctx) => `weekly ${m.week} ${ctx}`,
  });
  assert.equal(run({ type: 'daily_summary', date: '2024-02-29' }, 'c'), 'daily 2024-02-29 c');
  assert.equal(run({ type: 'monthly_summary', month: 2 }, 'c'), 'monthly 2 c');
  assert.equal(run({ type: 'weekly_summary', week: 9 }, 'c'), 'weekly 9 c');
});

test('a type without a handler is a compile error, and at run time a clear one', () => {
  // @ts-expect-error weekly_summary has no handler: `npm run typecheck` fails if this compiles.
  const incomplete: HandlerTable<Message, string, string> = { daily_summary: () => 'd', monthly_summary: () => 'm' };
  const run = dispatcher<Message, string, string>(incomplete);
  assert.throws(() => run({ type: 'weekly_summary', week: 1 }, 'c'), /no handler for message type "weekly_summary"/);
});

test('the job table has a handler for each job type and no other', () => {
  assert.deepEqual(Object.keys(handlers).sort(), ['daily_summary', 'monthly_summary']);
});
