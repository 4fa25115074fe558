// What the LLM costs, seen (issue 17 §4): every stored outcome adds its tokens to llm_token_usage
// (per UTC day, user, model and price) in the same statement; the dashboard's overview shows the
// month's tokens and their cost at LLM_PRICES, with the share done at batch price, and admins list
// tokens by user, model and day.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { AdminService } from '../../src/gen/diary/v1/admin_pb.js';
import { saveDailyOutcome } from '../../src/db/summaries.js';
import { startTestApi, type TestApi } from './harness.js';

let api: TestApi;
before(async () => {
  api = await startTestApi({ env: { LLM_PRICES: 'm-live=1/2,m-batch=10/20' } });
});
after(() => api.close());

test('the month’s tokens, their cost at LLM_PRICES, the batch share, and tokens by user, model and day', async () => {
  const db = api.testDb.db;
  const admin = await api.newUser({ admin: true });
  const a = await api.newUser();
  const b = await api.newUser();
  // Fixed past diary days: the tokens count on the day they were spent (the database's today).
  for (const [u, date] of [[a.id, '2024-01-01'], [a.id, '2024-01-02'], [b.id, '2024-01-01'], [b.id, '2024-01-03']] as const) {
    await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, date, 'x'.repeat(50)]);
  }
  const attempt = { messageId: 'm', trigger: 'schedule', subscriber: 's', deliveryCount: 1, queuedMs: 0, runningMs: 1, errorClass: null };
  const done = (model: string, input: number, output: number, batch: boolean) => ({
    status: 'done' as const, summary: 's', model, error: null, inputTokens: input, outputTokens: output, attempt: { ...attempt, batch },
  });
  assert.equal(await saveDailyOutcome(db, a.id, '2024-01-01', 1, done('m-live', 600_000, 200_000, false)), true);
  assert.equal(await saveDailyOutcome(db, a.id, '2024-01-02', 1, done('m-batch', 100_000, 50_000, true)), true);
  assert.equal(await saveDailyOutcome(db, b.id, '2024-01-01', 1, done('m-batch', 100_000, 50_000, true)), true);
  // A superseded answer's tokens were spent all the same; a failure without usage adds nothing.
  assert.equal(await saveDailyOutcome(db, b.id, '2024-01-03', 7, done('m-other', 1000, 0, false)), false);
  await saveDailyOutcome(db, b.id, '2024-01-03', 1, { status: 'failed', error: 'x', attempt });

  const o = await api.client(AdminService, admin.token).getOverview({});
  const m = o.llmMonth;
  assert.ok(m);
  assert.match(m.month, /^\d{4}-\d{2}$/);
  assert.equal(m.inputTokens, 801_000n);
  assert.equal(m.outputTokens, 300_000n);
  // m-live: 0.6 + 0.4 = 1.0 live; m-batch: 2 × (1 + 1) × ½ = 2.0; m-other unpriced.
  assert.ok(Math.abs(m.cost - 3) < 1e-9, String(m.cost));
  assert.ok(Math.abs(m.liveCost - 5) < 1e-9, String(m.liveCost));
  assert.deepEqual(m.unpricedModels, ['m-other']);
  assert.ok(Math.abs(m.batchShare - 300_000 / 1_101_000) < 1e-9);
  assert.deepEqual(m.models.map((x) => [x.model, x.batchTokens, x.priced]), [['m-batch', 300_000n, true], ['m-live', 0n, true], ['m-other', 0n, false]]);

  const c = api.client(AdminService, admin.token);
  const mine = await c.listTokenUsage({ userId: b.id });
  assert.deepEqual(mine.usage.map((r) => [r.model, r.batch, r.inputTokens, r.outputTokens, r.calls]).sort(), [
    ['m-batch', true, 100_000n, 50_000n, 1n],
    ['m-other', false, 1000n, 0n, 1n],
  ]);
  assert.ok(mine.usage.every((r) => r.userId === b.id && /^\d{4}-\d{2}-\d{2}$/.test(r.day)));
  assert.equal((await c.listTokenUsage({})).usage.length, 4);
  assert.equal((await c.listTokenUsage({ from: '2000-01-01', to: '2000-02-01' })).usage.length, 0);
  const err = await c.listTokenUsage({ from: 'yesterday' }).catch((e: unknown) => ConnectError.from(e));
  assert.ok(err instanceof ConnectError && err.code === Code.InvalidArgument);
  // Not a calendar day (Date.parse reads it as 1 March): refused by name, not an internal error.
  const feb30 = await c.listTokenUsage({ to: '2024-02-30' }).catch((e: unknown) => ConnectError.from(e));
  assert.ok(feb30 instanceof ConnectError && feb30.code === Code.InvalidArgument && /to must be a real calendar date/.test(feb30.rawMessage), String(feb30));
  const refused = await api.client(AdminService, a.token).listTokenUsage({}).catch((e: unknown) => ConnectError.from(e));
  assert.ok(refused instanceof ConnectError && refused.code === Code.PermissionDenied);
});
