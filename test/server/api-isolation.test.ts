// Every call is scoped to the caller: another user's diary is indistinguishable from a missing one.
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { DiaryService, SummaryStatus } from '../../src/gen/diary/v1/diaries_pb.js';
import { SummaryService } from '../../src/gen/diary/v1/summaries_pb.js';
import { dayOffset, startTestApi, type TestApi } from './harness.js';

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(() => api.close());

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail('expected the call to fail');
}

test("user A can neither read, overwrite, list nor delete user B's diary", async () => {
  const a = await api.newUser();
  const b = await api.newUser();
  const date = dayOffset(-2);
  const other = dayOffset(-5);
  await api.client(DiaryService, b.token).saveDiary({ date, content: "B's private diary, long enough to summarize" });
  const before = await api.testDb.db.query('SELECT id, content, version, updated_at FROM diaries WHERE user_id = $1', [b.id]);

  const asA = api.client(DiaryService, a.token);
  const asAGrpc = api.grpcClient(DiaryService, a.token);
  // Read: the same NotFound as for a date nobody wrote.
  const read = await failure(asA.getDiary({ date }));
  const missing = await failure(asA.getDiary({ date: other }));
  assert.equal(read.code, Code.NotFound);
  assert.equal(read.rawMessage.replace(date, 'D'), missing.rawMessage.replace(other, 'D'));
  assert.equal((await failure(asAGrpc.getDiary({ date }))).code, Code.NotFound);
  // Delete.
  assert.equal((await failure(asA.deleteDiary({ date }))).code, Code.NotFound);
  // List.
  const [year, month] = [Number(date.slice(0, 4)), Number(date.slice(5, 7))];
  assert.equal((await asA.listDiaries({ year, month })).days.length, 0);
  // Summaries.
  assert.equal((await api.client(SummaryService, a.token).getDailySummary({ date })).status, SummaryStatus.NONE);
  assert.equal((await failure(api.client(SummaryService, a.token).requestSummary({ target: { case: 'date', value: date } }))).code, Code.NotFound);
  // "Overwrite": A's save of that date is A's own entry.
  await asA.saveDiary({ date, content: "A's text" });
  assert.equal((await asA.getDiary({ date })).diary?.content, "A's text");

  const afterRows = await api.testDb.db.query('SELECT id, content, version, updated_at FROM diaries WHERE user_id = $1', [b.id]);
  assert.deepEqual(afterRows, before);
  assert.equal((await api.client(DiaryService, b.token).getDiary({ date })).diary?.content, "B's private diary, long enough to summarize");
  // And A deleting its own entry leaves B's alone.
  await asA.deleteDiary({ date });
  assert.deepEqual(await api.testDb.db.query('SELECT id, content, version, updated_at FROM diaries WHERE user_id = $1', [b.id]), before);
});
