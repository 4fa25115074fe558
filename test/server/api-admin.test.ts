// AdminService: admins only (claim and account flag), the overview, the job history, dead letters
// (streams only); a user's own day history from SummaryService.
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { AdminService } from '../../src/gen/diary/v1/admin_pb.js';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
import { SummaryService } from '../../src/gen/diary/v1/summaries_pb.js';
import { saveDailyOutcome } from '../../src/db/summaries.js';
import { createLogger } from '../../src/logger.js';
import { mintToken } from '../../src/server/tokens.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { dayOffset, JWT_SECRET, startTestApi, type TestApi } from './harness.js';

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail('expected the call to fail');
}

describe('pubsub', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('only admins: a user, a forged admin claim, or an admin token of a demoted account are refused', async () => {
    const user = await api.newUser();
    assert.equal((await failure(api.client(AdminService, user.token).getOverview({}))).code, Code.PermissionDenied);
    const claimOnly = await mintToken(JWT_SECRET, { userId: user.id, admin: true });
    assert.equal((await failure(api.client(AdminService, claimOnly).getOverview({}))).code, Code.PermissionDenied);
    const admin = await api.newUser({ admin: true });
    await api.client(AdminService, admin.token).getOverview({});
    await api.testDb.db.query('UPDATE users SET is_admin = false WHERE id = $1', [admin.id]);
    assert.equal((await failure(api.client(AdminService, admin.token).getOverview({}))).code, Code.PermissionDenied);
    assert.equal((await failure(api.client(AdminService).getOverview({}))).code, Code.Unauthenticated);
  });

  test('the overview: transport, summaries by status, throughput of the last hour', async () => {
    const admin = await api.newUser({ admin: true });
    await api.client(DiaryService, admin.token).saveDiary({ date: dayOffset(-1), content: 'x'.repeat(50) });
    await api.testDb.db.query(
      `INSERT INTO diary_summary_days (user_id, date, status, summary) VALUES ($1, $2, 'done', 's')
       ON CONFLICT (user_id, date) DO UPDATE SET status = 'done', updated_at = now()`,
      [admin.id, dayOffset(-1)],
    );
    const o = await api.grpcClient(AdminService, admin.token).getOverview({});
    assert.equal(o.transport, 'pubsub');
    assert.ok(o.subscribers >= 0);
    assert.ok(o.summaries.some((s) => s.kind === 'daily' && s.status === 'done' && s.count >= 1n));
    assert.ok(o.throughput.reduce((n, p) => n + p.done, 0n) >= 1n);
    assert.ok(o.processedTotal >= 0n);
  });

  test('the job history: recent jobs by outcome, kind and user, one job’s attempts, and the user’s own day', async () => {
    const admin = await api.newUser({ admin: true });
    const user = await api.newUser();
    const date = dayOffset(-3);
    await api.client(DiaryService, user.token).saveDiary({ date, content: 'y'.repeat(50) });
    const db = api.testDb.db;
    const [row] = await db.query<{ version: number }>('SELECT version::int AS version FROM diaries WHERE user_id = $1 AND date = $2', [user.id, date]);
    const version = (row as { version: number }).version;
    const base = { messageId: 'm', trigger: 'diary_saved', subscriber: 'host-1-abc', queuedMs: 12, runningMs: 340, errorClass: null };
    await saveDailyOutcome(db, user.id, date, version, { status: 'retrying', error: 'LLM timeout after 5 attempts', attempt: { ...base, deliveryCount: 1, errorClass: 'timeout' } });
    await saveDailyOutcome(db, user.id, date, version, { status: 'failed', error: 'LLM auth: HTTP 401', attempt: { ...base, deliveryCount: 2, errorClass: 'auth' } });

    const c = api.client(AdminService, admin.token);
    const failed = await c.listJobs({ outcome: 'failed', userId: user.id });
    assert.deepEqual(failed.jobs.map((j) => [j.kind, j.period, j.outcome, j.errorClass, j.attempts]), [['daily', date, 'failed', 'auth', 2]]);
    assert.equal((await c.listJobs({ outcome: 'done', userId: user.id })).jobs.length, 0);
    assert.equal((await c.listJobs({ kind: 'monthly', userId: user.id })).jobs.length, 0);
    const job = await c.getJob({ kind: 'daily', userId: user.id, period: date });
    assert.deepEqual(job.attempts.map((a) => [a.deliveryCount, a.outcome, a.errorClass, a.subscriber, a.trigger, a.queuedMs, a.runningMs]), [
      [1, 'retrying', 'timeout', 'host-1-abc', 'diary_saved', 12n, 340n],
      [2, 'failed', 'auth', 'host-1-abc', 'diary_saved', 12n, 340n],
    ]);
    for (const bad of [{ outcome: 'exploded' }, { kind: 'weekly' }, { userId: 'nope' }]) {
      assert.equal((await failure(c.listJobs(bad))).code, Code.InvalidArgument, JSON.stringify(bad));
    }
    assert.equal((await failure(c.getJob({ kind: 'monthly', userId: user.id, period: '2024-13' }))).code, Code.InvalidArgument);
    assert.equal((await failure(api.client(AdminService, user.token).listJobs({}))).code, Code.PermissionDenied);

    // The user sees their own day's attempts, without the subscriber's name; nobody else's.
    const mine = await api.client(SummaryService, user.token).getDailyHistory({ date });
    assert.deepEqual(mine.attempts.map((a) => [a.outcome, a.errorClass, a.subscriber]), [['retrying', 'timeout', ''], ['failed', 'auth', '']]);
    assert.equal((await api.client(SummaryService, admin.token).getDailyHistory({ date })).attempts.length, 0);
  });

  test('dead letters: FailedPrecondition in pubsub mode', async () => {
    const admin = await api.newUser({ admin: true });
    const err = await failure(api.client(AdminService, admin.token).listDeadLetters({ limit: 10 }));
    assert.equal(err.code, Code.FailedPrecondition);
    assert.match(err.rawMessage, /no dead letters with QUEUE_TRANSPORT=pubsub/);
    assert.equal((await failure(api.client(AdminService, admin.token).replayDeadLetters({ all: true }))).code, Code.FailedPrecondition);
  });
});

describe('streams', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ env: { QUEUE_TRANSPORT: 'streams' } });
  });
  after(() => api.close());

  test('overview of the stream, list and replay of dead letters', async () => {
    const admin = await api.newUser({ admin: true });
    const client = api.client(AdminService, admin.token);
    const redis = await connectRedis({ url: api.config.redis.url, role: 'test', logger: createLogger({ level: 'silent' }) });
    const keys = keysFor(api.config.channel);
    const data = JSON.stringify({ type: 'daily_summary', user_id: admin.id, date: dayOffset(-1), attempt: 5 });
    const id = (await redis.sendCommand([
      'XADD', keys.dead, '*', 'data', data, 'error', 'LLM timed out', 'deliveries', '5', 'failed_at', new Date().toISOString(), 'original_id', '1-0',
    ])) as string;

    const o = await client.getOverview({});
    assert.equal(o.transport, 'streams');
    assert.equal(o.deadLetters, 1n);
    const before = o.streamLength;

    const listed = await client.listDeadLetters({ limit: 10 });
    assert.equal(listed.entries.length, 1);
    assert.equal(listed.entries[0]?.id, id);
    assert.equal(listed.entries[0]?.error, 'LLM timed out');
    assert.equal(listed.entries[0]?.deliveries, 5);
    assert.ok(listed.entries[0]?.failedAt);

    assert.equal((await failure(client.replayDeadLetters({}))).code, Code.InvalidArgument);
    assert.equal((await failure(client.replayDeadLetters({ ids: ['not-an-id'] }))).code, Code.InvalidArgument);
    assert.equal((await client.replayDeadLetters({ ids: [id] })).replayed, 1);
    const after = await client.getOverview({});
    assert.equal(after.deadLetters, 0n);
    assert.equal(after.streamLength, before + 1n);
    await closeRedis(redis);
  });
});
