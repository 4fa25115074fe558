// AdminService: admins only (claim and account flag), the overview, dead letters (streams only).
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { AdminService } from '../../src/gen/diary/v1/admin_pb.js';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
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
