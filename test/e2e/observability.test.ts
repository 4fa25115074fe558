// A real subscriber's /metrics, /healthz and /readyz, its job log lines, and a permanent LLM failure
// seen end to end (recorded once, not retried, key never logged).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

let w: World;
before(async () => {
  w = await createWorld('pubsub');
});
after(async () => {
  await w.close();
});

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (want.every((w) => (m[2] ?? '').includes(w))) total += Number(m[3]);
  }
  return total;
}

test('/metrics counters and the duration histogram move when jobs are processed', async () => {
  const { userId, dates } = await w.seed(3);
  w.llm.script(...Array.from({ length: 3 }, () => ({ type: 'ok' as const, latencyMs: 120 })));
  const sub = await startSubscriber(w, { LOG_LEVEL: 'debug' });
  const port = Number((await sub.waitForLog((l) => l.msg === 'metrics listening')).metrics_port);
  const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const before = await scrape();
  assert.equal(sample(before, 'diary_jobs_processed_total', { outcome: 'done' }), 0);
  assert.match(before, /process_resident_memory_bytes/);
  for (const date of dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date }));
  await w.publishRaw('not json');
  await eventually(async () => (await w.doneCount(userId)) === 3, 20_000, 'jobs done');
  const afterText = await eventually(async () => {
    const t = await scrape();
    return sample(t, 'diary_jobs_processed_total', { type: 'daily_summary', outcome: 'done' }) === 3 ? t : '';
  });
  assert.equal(sample(afterText, 'diary_messages_received_total', { type: 'daily_summary' }), 3);
  assert.equal(sample(afterText, 'diary_messages_rejected_total', { reason: 'not_json' }), 1);
  assert.equal(sample(afterText, 'diary_job_duration_seconds_count', { outcome: 'done' }), 3);
  // The histogram measures the real work: each job waited ≥ 120 ms for the LLM.
  assert.ok(sample(afterText, 'diary_job_duration_seconds_sum', { outcome: 'done' }) >= 0.36, 'duration includes the LLM call');
  assert.equal(sample(afterText, 'diary_llm_requests_total', { provider: 'openai', outcome: 'ok' }), 3);
  assert.ok(sample(afterText, 'diary_llm_tokens_total', { kind: 'input' }) > 0, 'tokens counted');
  assert.equal(sample(afterText, 'diary_jobs_in_flight'), 0);
  assert.equal(sample(afterText, 'diary_redis_connected', { role: 'main' }), 1);
  // Every line about a job carries its identity ('job finished' is at debug).
  const line = sub.logs.find((l) => l.msg === 'job finished');
  assert.ok(line, 'a job log line');
  for (const k of ['type', 'user_id', 'date', 'message_id', 'attempt']) assert.ok(k in line, `job line has ${k}`);
  assert.equal(await sub.stop(), 0);
});

test('/healthz is alive and /readyz reports Redis going away and coming back', async () => {
  const sub = await startSubscriber(w);
  const port = Number((await sub.waitForLog((l) => l.msg === 'metrics listening')).metrics_port);
  const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  assert.equal(await readyz(), 200);
  await w.redis.stop();
  await eventually(async () => (await readyz()) === 503, 10_000, 'not ready without Redis');
  const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: Record<string, boolean> };
  assert.equal(body.checks.redis, false);
  assert.equal(body.checks.database, true);
  await w.redis.start();
  await eventually(async () => (await readyz()) === 200, 20_000, 'ready again');
  assert.equal(await sub.stop(), 0);
});

test('a permanent LLM failure (401) is recorded once, not retried, and the key never appears in logs', async () => {
  const { userId, dates } = await w.seed(1);
  w.llm.reset();
  w.llm.script({ type: 'unauthorized' });
  const key = 'sk-test-DO-NOT-LOG-1234567890';
  const sub = await startSubscriber(w, { LLM_API_KEY: key });
  await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date: dates[0] }));
  await eventually(async () => (await w.summaries(userId))[0]?.status === 'failed', 20_000, 'failed row');
  const [row] = await w.summaries(userId);
  assert.match(row?.error ?? '', /401|unauthori[sz]ed|invalid/i);
  assert.equal(w.llm.calls, 1, 'exactly one call');
  const tick = await w.run(['scheduler', '--once'], { LLM_API_KEY: key });
  assert.match(tick.stdout, /"daily_summary":\{"found":0/, 'the scheduler does not republish it');
  await new Promise((r) => setTimeout(r, 300));
  // Only daily calls count: on the 1st of a month yesterday's month is over, and its monthly job runs.
  const dailyCalls = w.llm.requests.filter((r) => /Summarize the day/.test(r.body?.messages?.[0]?.content ?? '')).length;
  assert.equal(dailyCalls, 1, 'still one daily call');
  assert.ok(!sub.stdout().includes(key) && !sub.stderr().includes(key), 'key not in subscriber output');
  assert.ok(!tick.stdout.includes(key) && !tick.stderr.includes(key), 'key not in scheduler output');
  assert.equal(await sub.stop(), 0);
});
