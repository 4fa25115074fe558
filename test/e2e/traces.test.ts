// Traces end to end (issue 18): a server, a subscriber and a scheduler as separate real processes
// on PostgreSQL, each with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver on
// loopback that decodes what it gets. One diary saved through the API arrives there as one whole
// trace — save → publish → (Redis, the message's traceparent) → the subscriber's run → claim,
// summarize → the LLM request, store — with token counts and without the diary's or the summary's
// text, the LLM's URL or its key. A job the scheduler publishes has a trace of its own linked to
// the scheduler's tick.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mintToken } from '../../src/server/tokens.js';
import { eventually } from '../helpers/cli.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

const JWT_SECRET = 'traces-test-jwt-secret-0123456789abcdef';
const LLM_KEY = 'sk-traces-DO-NOT-EXPORT-0123456789';
const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

let w: World;
let rx: OtlpReceiver;
before(async () => {
  w = await createWorld('pubsub');
  rx = await startOtlpReceiver();
});
after(async () => {
  await w.close();
  await rx.close();
});

/** Traces on, exported every 200 ms instead of every 5 s. */
const traced = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_BSP_SCHEDULE_DELAY: '200', LLM_API_KEY: LLM_KEY });
/** Traces on, exported only when the process stops (the batch waits a minute): what arrives was flushed on the way out. */
const flushedAtExit = () => ({ ...traced(), OTEL_BSP_SCHEDULE_DELAY: '60000' });

function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one ${name} span in ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as ReceivedSpan;
}

test('one saved diary arrives at the receiver as one whole trace, with token counts and no text', async () => {
  const { userId } = await w.seed(0);
  const server = w.spawn(['server'], { PORT: '0', JWT_SECRET, ...traced() });
  const port = Number((await server.waitForLog((l) => l.msg === 'server listening')).port);
  const sub = await startSubscriber(w, flushedAtExit());
  const token = await mintToken(JWT_SECRET, { userId, admin: false });

  const secretText = `PRIVATE-DIARY-${Math.random().toString(36).slice(2)}`;
  const content = `${secretText} I walked along the river and the cherry trees were in bloom. `.repeat(4);
  const res = await fetch(`http://127.0.0.1:${port}/diary.v1.DiaryService/SaveDiary`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ date: '2024-01-10', content }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { summaryQueued?: boolean }).summaryQueued, true);
  await eventually(async () => (await w.summaries(userId))[0]?.status === 'done', 20_000, 'the summary stored');
  const summary = (await w.summaries(userId))[0]?.summary ?? '';
  assert.ok(summary.length > 0);
  // The subscriber's spans are still in its batch: SIGTERM exports them as its last stop step.
  assert.equal(rx.spans.filter((s) => s.service === 'diary-events-subscriber').length, 0, 'nothing from the subscriber before it stops');
  assert.equal(await sub.stop(), 0);

  const names = ['diary save', 'publish daily_summary', 'process daily_summary', 'claim', 'summarize', 'chat fake-model', 'store'];
  const trace = await eventually(async () => {
    const save = rx.spans.find((s) => s.name === 'diary save' && s.attributes['diary.user_id'] === userId);
    if (!save) return undefined;
    const spans = rx.spans.filter((s) => s.traceId === save.traceId);
    return names.every((n) => spans.some((s) => s.name === n)) ? spans : undefined;
  }, 20_000, 'every span of the save at the receiver');
  assert.deepEqual(rx.errors, []);
  assert.deepEqual(trace.map((s) => s.name).sort(), [...names].sort(), 'the trace is exactly these spans');

  const save = one(trace, 'diary save');
  const publish = one(trace, 'publish daily_summary');
  const run = one(trace, 'process daily_summary');
  const claim = one(trace, 'claim');
  const summarize = one(trace, 'summarize');
  const chat = one(trace, 'chat fake-model');
  const store = one(trace, 'store');
  // The parent chain, across two processes and Redis.
  assert.equal(save.parentSpanId, '', 'the save is the root');
  assert.equal(publish.parentSpanId, save.spanId);
  assert.equal(run.parentSpanId, publish.spanId);
  for (const child of [claim, summarize, store]) assert.equal(child.parentSpanId, run.spanId, `${child.name} under the run`);
  assert.equal(chat.parentSpanId, summarize.spanId);
  assert.deepEqual([save.service, publish.service], ['diary-events-server', 'diary-events-server']);
  for (const s of [run, claim, summarize, chat, store]) assert.equal(s.service, 'diary-events-subscriber', s.name);
  assert.deepEqual([save.kind, publish.kind, run.kind, chat.kind], [KIND.server, KIND.producer, KIND.consumer, KIND.client]);

  // What the spans say: the job, the outcome, the tokens the fake LLM reported.
  assert.equal(publish.attributes['diary.job.trigger'], 'diary_saved');
  assert.equal(run.attributes['diary.date'], '2024-01-10');
  assert.equal(run.attributes['diary.job.outcome'], 'done');
  assert.equal(run.attributes['diary.job.settlement'], 'ack');
  assert.equal(claim.attributes['diary.claim.acquired'], true);
  assert.equal(store.attributes['diary.summary.stored'], true);
  const [llmCall] = w.llm.requests.filter((r) => (r.body?.messages ?? []).some((m) => m.content.includes(secretText)));
  assert.ok(llmCall, 'the fake LLM saw the diary');
  const input = chat.attributes['gen_ai.usage.input_tokens'];
  const output = chat.attributes['gen_ai.usage.output_tokens'];
  assert.ok(typeof input === 'number' && input > 0 && typeof output === 'number' && output > 0, JSON.stringify(chat.attributes));
  assert.equal(summarize.attributes['gen_ai.usage.input_tokens'], input);
  assert.equal(summarize.attributes['gen_ai.usage.output_tokens'], output);
  assert.equal(chat.attributes['gen_ai.request.model'], 'fake-model');

  // Never the text that went in or came out, the LLM's address or its key.
  const sent = rx.bodies.join('\n');
  assert.ok(!sent.includes(secretText), 'diary text exported');
  assert.ok(!sent.includes(summary), 'summary text exported');
  assert.ok(!sent.includes('cherry trees'), 'diary text exported');
  assert.ok(!sent.includes(LLM_KEY), 'the LLM key exported');
  assert.ok(!sent.includes(new URL(w.llm.url).host), 'the LLM URL exported');

  assert.equal(await server.stop(), 0);
});

test("a scheduled job's trace is its own, linked to the scheduler's tick", async () => {
  const { userId, dates } = await w.seed(1);
  const sub = await startSubscriber(w, traced());
  // `scheduler --once` exits when its tick is done: it exports its spans before exiting.
  const once = await w.run(['scheduler', '--once'], flushedAtExit());
  assert.equal(once.code, 0, once.stderr);
  await eventually(async () => (await w.summaries(userId))[0]?.status === 'done', 20_000, 'the scheduled summary stored');

  const { tick, publish, run } = await eventually(async () => {
    const p = rx.spans.find((s) => s.name === 'publish daily_summary' && s.attributes['diary.user_id'] === userId);
    const r = p && rx.spans.find((s) => s.name === 'process daily_summary' && s.parentSpanId === p.spanId);
    const t = p && rx.spans.find((s) => s.name === 'tick daily_summary' && s.spanId === p.links[0]?.spanId);
    return p && r && t ? { tick: t, publish: p, run: r } : undefined;
  }, 20_000, 'the tick, its publish and the run at the receiver');
  assert.equal(tick.service, 'diary-events-scheduler');
  assert.equal(publish.service, 'diary-events-scheduler');
  assert.equal(publish.parentSpanId, '', 'the publish is the root of its trace, not the tick’s child');
  assert.notEqual(publish.traceId, tick.traceId);
  assert.deepEqual(publish.links, [{ traceId: tick.traceId, spanId: tick.spanId }]);
  assert.equal(publish.attributes['diary.job.trigger'], 'schedule');
  assert.equal(publish.attributes['diary.date'], dates[0]);
  assert.equal(run.traceId, publish.traceId);
  assert.equal(run.service, 'diary-events-subscriber');
  assert.ok(Number(tick.attributes['diary.tick.published']) >= 1);
  assert.equal(await sub.stop(), 0);
});
