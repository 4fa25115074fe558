// Streams mode with real processes (issue 5): subscriber crashes, Redis crashes with AOF, jobs that
// always fail, and a database outage — no acknowledged-as-published job is lost (guarantee 6).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

let w: World;
before(async () => {
  w = await createWorld('streams');
});
after(async () => {
  await w.close();
});

async function pending(): Promise<number> {
  const c = await w.client();
  const reply = (await c.sendCommand(['XPENDING', `${w.channel}:stream`, 'diary-subscribers'])) as [number, ...unknown[]];
  return Number(reply[0]);
}

async function deadCount(): Promise<number> {
  return (await w.client()).xLen(`${w.channel}:dead`);
}

async function publishDays(userId: string, dates: readonly string[]): Promise<void> {
  for (const date of dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date }));
}

test('40 jobs, 800 ms LLM, subscriber SIGKILLed mid-work: a new one finishes all, nothing pending or dead', async () => {
  const { userId, dates } = await w.seed(40);
  w.llm.script(...Array.from({ length: 80 }, () => ({ type: 'ok' as const, latencyMs: 800 })));
  const first = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '10' });
  await publishDays(userId, dates);
  await eventually(async () => (await w.doneCount(userId)) >= 5, 20_000, 'some done');
  assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
  const doneAtKill = await w.doneCount(userId);
  assert.ok(doneAtKill < 40, `killed mid-work (${doneAtKill} done)`);
  const second = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '10' });
  await eventually(async () => (await w.doneCount(userId)) === 40, 60_000, 'all 40 rows');
  await eventually(async () => (await pending()) === 0, 10_000, 'nothing pending');
  assert.equal(await deadCount(), 0, 'nothing dead');
  assert.equal(await second.stop(), 0);
});

test('Redis SIGKILLed under appendonly + appendfsync always: every published job is still processed', async () => {
  const { userId, dates } = await w.seed(20);
  w.llm.script(...Array.from({ length: 40 }, () => ({ type: 'ok' as const, latencyMs: 300 })));
  const sub = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '4' });
  await publishDays(userId, dates); // each XADD returned: acknowledged as published
  await eventually(async () => (await w.doneCount(userId)) >= 2, 20_000, 'some done');
  await w.redis.stop(true);
  await new Promise((r) => setTimeout(r, 500));
  await w.redis.start();
  await eventually(async () => (await w.doneCount(userId)) === 20, 60_000, 'all 20 after the crash');
  await eventually(async () => (await pending()) === 0, 15_000, 'nothing pending');
  assert.equal(await sub.stop(), 0);
});

test('a job that always fails lands in dead letters after MAX_DELIVERIES; dlq replay brings it back', async () => {
  const { userId, dates } = await w.seed(1);
  w.llm.reset();
  w.llm.script(...Array.from({ length: 3 }, () => ({ type: 'server-error' as const, status: 503 })));
  const env = { MAX_DELIVERIES: '3', LLM_MAX_RETRIES: '0' };
  const sub = await startSubscriber(w, env);
  await publishDays(userId, dates);
  await eventually(async () => (await deadCount()) === 1, 30_000, 'dead letter');
  assert.equal(w.llm.calls, 3, 'one LLM call per delivery');
  const listed = await w.run(['dlq', 'list'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const entry = JSON.parse(listed.stdout.trim().split('\n')[0] as string) as { error: string; deliveries: number; data: string };
  assert.equal(entry.deliveries, 3);
  assert.match(entry.error, /503/);
  assert.match(entry.data, new RegExp(userId));
  const [row] = await w.summaries(userId);
  assert.equal(row?.status, 'failed', 'recorded, so the scheduler does not republish it forever');
  // The LLM recovers; the operator replays.
  const replayed = await w.run(['dlq', 'replay', '--all'], env);
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(replayed.stdout, /replayed 1/);
  await eventually(async () => (await w.doneCount(userId)) === 1, 20_000, 'replayed job done');
  assert.equal(await deadCount(), 0);
  assert.equal(await sub.stop(), 0);
});

test('the database stopped for a while: jobs wait, nothing is lost', async () => {
  const { userId, dates } = await w.seed(5);
  const url = new URL(w.dbUrl);
  const proxy: TcpProxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  url.port = String(proxy.port);
  try {
    const sub = await startSubscriber(w, { DATABASE_URL: url.toString() });
    await proxy.cut();
    await publishDays(userId, dates);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await w.doneCount(userId), 0, 'nothing stored while the database is away');
    await proxy.restore();
    await eventually(async () => (await w.doneCount(userId)) === 5, 60_000, 'all five after the outage');
    await eventually(async () => (await pending()) === 0, 15_000, 'nothing pending');
    assert.equal(await deadCount(), 0, 'nothing dead-lettered');
    assert.equal(await sub.stop(), 0);
  } finally {
    await proxy.close();
  }
});
