// The OpenAI-compatible client against a real HTTP server on loopback (test/helpers/fake-llm.ts).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { isPermanent, isTransient, PermanentJobError, TransientJobError } from '../../src/errors/job-errors.js';
import { llmErrors, llmRequests, llmTokens } from '../../src/metrics.js';
import { OpenAiSummarizer, type OpenAiSummarizerOptions } from '../../src/summarizer/openai.js';
import { parseRetryAfter } from '../../src/summarizer/retry-after.js';
import type { SummaryInput } from '../../src/summarizer/summarizer.js';
import { fakeAnswer, startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { EN_DIARY, JA_DIARY, JA_MONTH } from './diaries.js';

const API_KEY = 'sk-test-0123456789abcdefSECRET';
const MODEL = 'test-model';

/** A pino logger at debug level whose output is kept in memory, to search it for the key. */
function capturingLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

async function counterValue(counter: typeof llmRequests | typeof llmErrors | typeof llmTokens, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, string | number | undefined>)[k] === val));
  return hit?.value ?? 0;
}

const live = (): AbortSignal => new AbortController().signal;
const dailyJa: SummaryInput = { kind: 'daily', entries: [{ date: '2024-03-05', text: JA_DIARY }] };
const dailyEn: SummaryInput = { kind: 'daily', entries: [{ date: '2024-03-06', text: EN_DIARY }] };
const userMessage = (llm: FakeLlm, i: number): string => llm.requests[i]?.body?.messages?.find((m) => m.role === 'user')?.content ?? '';
const systemMessage = (llm: FakeLlm, i: number): string => llm.requests[i]?.body?.messages?.find((m) => m.role === 'system')?.content ?? '';

describe('openai summarizer', () => {
  let llm: FakeLlm;
  let log: ReturnType<typeof capturingLogger>;
  const make = (extra: Partial<OpenAiSummarizerOptions> = {}): OpenAiSummarizer =>
    new OpenAiSummarizer({ baseUrl: llm.url, apiKey: API_KEY, model: MODEL, baseDelayMs: 10, logger: log.logger, ...extra });

  before(async () => {
    llm = await startFakeLlm({ apiKey: API_KEY, models: [MODEL] });
  });
  after(async () => {
    await llm.close();
  });
  beforeEach(() => {
    llm.reset();
    log = capturingLogger();
  });

  it('happy path (Japanese): sends model, Japanese messages and the Authorization header; returns text, model and usage', async () => {
    const okBefore = await counterValue(llmRequests, { provider: 'openai', outcome: 'ok' });
    const tokensBefore = await counterValue(llmTokens, { provider: 'openai', kind: 'input' });
    const result = await make().summarize(dailyJa, live());
    assert.equal(llm.calls, 1);
    const req = llm.requests[0];
    assert.ok(req, 'a request arrived');
    assert.equal(req.body?.model, MODEL);
    assert.equal(req.authorization, `Bearer ${API_KEY}`);
    assert.match(systemMessage(llm, 0), /日記/, 'Japanese system prompt');
    assert.match(systemMessage(llm, 0), /最大3/, 'asks for up to three points');
    assert.ok(userMessage(llm, 0).includes(JA_DIARY), 'the whole diary is sent');
    assert.equal(result.text, fakeAnswer(userMessage(llm, 0)));
    assert.match(result.text, /^fake summary \(ja,/);
    assert.equal(result.model, MODEL);
    assert.deepEqual(result.usage, { inputTokens: userMessage(llm, 0).length, outputTokens: result.text.length });
    assert.equal(await counterValue(llmRequests, { provider: 'openai', outcome: 'ok' }), okBefore + 1);
    assert.equal(await counterValue(llmTokens, { provider: 'openai', kind: 'input' }), tokensBefore + userMessage(llm, 0).length);
    assert.ok(log.text().length > 0, 'something was logged at debug level');
    assert.ok(!log.text().includes(API_KEY), 'the key is not in the logs');
  });

  it('English diary → English prompt; monthly prompt asks for notable days as structured output (see openai-structured.test.ts)', async () => {
    await make().summarize(dailyEn, live());
    assert.doesNotMatch(systemMessage(llm, 0), /[\u3040-\u30ff]/, 'no Japanese in an English prompt');
    assert.match(systemMessage(llm, 0), /three bullet points/);
    assert.equal(llm.requests[0]?.body?.response_format, undefined, 'daily summaries are plain text');
    await make().summarize({ kind: 'monthly', entries: JA_MONTH }, live());
    assert.match(systemMessage(llm, 1), /注目すべき日/);
    assert.match(JSON.stringify(llm.requests[1]?.body?.response_format), /"json_schema".*"days".*"trend"/);
    assert.match(userMessage(llm, 1), /\[2024-03-02（日次要約）\]/, 'daily summaries are labelled as such');
  });

  it('429 with Retry-After: waits at least that long, then succeeds', async () => {
    const before = await counterValue(llmErrors, { provider: 'openai', class: 'rate_limited' });
    llm.script({ type: 'rate-limit', retryAfter: '1' });
    const result = await make().summarize(dailyEn, live());
    assert.equal(llm.calls, 2);
    const waited = (llm.requests[1]?.at ?? 0) - (llm.requests[0]?.at ?? 0);
    assert.ok(waited >= 1000, `retried after ${waited} ms`);
    assert.match(result.text, /^fake summary/);
    assert.equal(await counterValue(llmErrors, { provider: 'openai', class: 'rate_limited' }), before + 1);
  });

  it('429 whose Retry-After is beyond the limit: handed back at once as transient with retryAfterMs', async () => {
    llm.script({ type: 'rate-limit', retryAfter: '120' });
    const err = await make({ maxRetryAfterMs: 5_000 }).summarize(dailyEn, live()).catch((e: unknown) => e);
    assert.ok(err instanceof TransientJobError, String(err));
    assert.equal(err.retryAfterMs, 120_000);
    assert.equal(llm.calls, 1);
  });

  it('Retry-After: seconds and HTTP-date', () => {
    const now = Date.parse('2024-03-05T10:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Tue, 05 Mar 2024 10:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Tue, 05 Mar 2024 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('503 then success: retried with backoff, every request through the rate limiter', async () => {
    let acquired = 0;
    llm.script({ type: 'server-error', status: 503 });
    const result = await make({ rateLimiter: { acquire: async () => void acquired++ } }).summarize(dailyEn, live());
    assert.equal(llm.calls, 2);
    assert.equal(acquired, 2);
    assert.match(result.text, /^fake summary/);
  });

  it('5xx every time: a bounded number of attempts, then TransientJobError', async () => {
    llm.script({ type: 'server-error', status: 500 }, { type: 'server-error', status: 502 }, { type: 'server-error', status: 503 }, { type: 'ok' });
    const err = await make({ maxRetries: 2 }).summarize(dailyEn, live()).catch((e: unknown) => e);
    assert.ok(isTransient(err), String(err));
    assert.match((err as Error).message, /after 3 attempts/);
    assert.equal(llm.calls, 3);
  });

  it('a connection that never answers: per-request timeout, retried, then TransientJobError', async () => {
    llm.script({ type: 'hang' }, { type: 'hang' });
    const t0 = Date.now();
    const err = await make({ timeoutMs: 300, maxRetries: 1 }).summarize(dailyEn, live()).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    assert.ok(isTransient(err), String(err));
    assert.match((err as Error).message, /timeout|no answer within 300 ms/);
    assert.equal(llm.calls, 2);
    assert.ok(elapsed >= 600 && elapsed < 3000, `took ${elapsed} ms`);
  });

  it('the job signal aborts a hanging request at once, rejecting with its reason', async () => {
    llm.script({ type: 'hang' });
    const ac = new AbortController();
    const reason = new Error('lease lost');
    setTimeout(() => ac.abort(reason), 150);
    const t0 = Date.now();
    const err = await make({ timeoutMs: 30_000 }).summarize(dailyEn, ac.signal).catch((e: unknown) => e);
    assert.equal(err, reason);
    assert.ok(Date.now() - t0 < 1000, 'stopped at once');
    assert.equal(llm.calls, 1);
  });

  it('the job signal also cuts a backoff wait short', async () => {
    llm.script({ type: 'rate-limit', retryAfter: '20' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutdown')), 200);
    const t0 = Date.now();
    await assert.rejects(make().summarize(dailyEn, ac.signal), /shutdown/);
    assert.ok(Date.now() - t0 < 1500, 'stopped at once');
    assert.equal(llm.calls, 1);
  });

  it('401: exactly one call, PermanentJobError, and the key is in neither the error nor the logs', async () => {
    const wrongKey = 'sk-wrong-key-9f8e7d6c5b4a-PRIVATE';
    const err = await make({ apiKey: wrongKey }).summarize(dailyEn, live()).catch((e: unknown) => e);
    assert.ok(isPermanent(err), String(err));
    assert.match((err as Error).message, /auth/);
    assert.equal(llm.calls, 1);
    assert.equal(llm.requests[0]?.authorization, `Bearer ${wrongKey}`, 'the server did see the key (and echoed it back)');
    const everything = `${(err as Error).message} ${(err as Error).stack} ${JSON.stringify(err)} ${log.text()}`;
    assert.ok(!everything.includes(wrongKey), everything);
    assert.ok(!everything.includes('9f8e7d6c5b4a'), 'not even a fragment of it');
    assert.match(log.text(), /failed permanently/);
  });

  for (const [what, step, pattern] of [
    ['403', { type: 'forbidden' }, /auth/],
    ['404 model not found', { type: 'model-not-found' }, /model/],
    ['400 content refusal', { type: 'refusal' }, /refused/],
    ['finish_reason content_filter', { type: 'content-filter' }, /refused/],
    ['a malformed body', { type: 'malformed' }, /bad_response/],
    ['an empty answer', { type: 'empty' }, /bad_response/],
  ] as const) {
    it(`${what}: one call, PermanentJobError`, async () => {
      llm.script(step);
      const err = await make().summarize(dailyEn, live()).catch((e: unknown) => e);
      assert.ok(err instanceof PermanentJobError, String(err));
      assert.match(err.message, pattern);
      assert.equal(llm.calls, 1);
    });
  }

  it('an unknown model configured: 404 from the server, permanent after one call', async () => {
    const err = await make({ model: 'no-such-model' }).summarize(dailyEn, live()).catch((e: unknown) => e);
    assert.ok(isPermanent(err), String(err));
    assert.match((err as Error).message, /no-such-model/);
    assert.equal(llm.calls, 1);
  });

  it('nothing listening: network error, retried, TransientJobError', async () => {
    const err = await new OpenAiSummarizer({ baseUrl: 'http://127.0.0.1:1/v1', model: MODEL, apiKey: API_KEY, baseDelayMs: 5, maxRetries: 1 })
      .summarize(dailyEn, live())
      .catch((e: unknown) => e);
    assert.ok(isTransient(err), String(err));
    assert.match((err as Error).message, /network/);
    assert.ok(!(err as Error).message.includes(API_KEY), 'key not in the message');
  });

  it('long daily input: split and map-reduced over several calls, every part reaching some request', async () => {
    // ~6,400 characters, each sentence tagged so we can find it again.
    const sentences = Array.from({ length: 200 }, (_, i) => `［${String(i).padStart(3, '0')}］今日は会議のあとで資料を直し、夕方に川沿いを散歩した。`);
    const diary = sentences.join('');
    const result = await make({ maxInputChars: 2000 }).summarize({ kind: 'daily', entries: [{ date: '2024-03-05', text: diary }] }, live());
    assert.ok(diary.length > 6000, `diary of ${diary.length} chars`);
    assert.ok(llm.calls >= 4, `${llm.calls} calls: at least three parts and the combining call`);
    const sent = llm.requests.map((_, i) => userMessage(llm, i));
    for (const s of sentences) assert.ok(sent.some((m) => m.includes(s)), `part never sent: ${s}`);
    for (const m of sent) assert.ok(m.length <= 2000 + 100, `request of ${m.length} chars`);
    const last = sent.at(-1) as string;
    assert.match(last, /部分ごとの要約/, 'the last call combines the partial summaries');
    assert.equal(result.text, fakeAnswer(last));
    assert.ok(result.usage && result.usage.inputTokens > diary.length, 'usage is summed over all calls');
  });

  it('long monthly input: every day reaches some request, map then reduce', async () => {
    const month = Array.from({ length: 28 }, (_, i) => ({
      date: `2024-02-${String(i + 1).padStart(2, '0')}`,
      text: `DAY${i + 1}: ` + 'We walked by the river and talked about the project plans for spring. '.repeat(6),
    }));
    await make({ maxInputChars: 3000 }).summarize({ kind: 'monthly', entries: month }, live());
    assert.ok(llm.calls >= 5, `${llm.calls} calls`);
    const sent = llm.requests.map((_, i) => userMessage(llm, i)).join('\n');
    for (const e of month) assert.ok(sent.includes(e.text), `${e.date} never sent`);
    assert.match(systemMessage(llm, 0), /in parts/);
    assert.match(systemMessage(llm, llm.calls - 1), /notable days/);
  });
});
