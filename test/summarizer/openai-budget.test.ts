// The LLM client with the fleet's token gate over a real Redis and the fake LLM over real HTTP:
// reservations corrected with the reported usage, and a provider's rate-limit answer to one
// subscriber pausing another's calls to the same endpoint and key.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { OpenAiSummarizer } from '../../src/summarizer/openai.js';
import type { SummaryInput } from '../../src/summarizer/summarizer.js';
import { estimateCallTokens } from '../../src/summarizer/token-estimate.js';
import { keysFor } from '../../src/transport/keys.js';
import { connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { createTokenBudget } from '../../src/transport/token-budget.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { EN_DIARY } from './diaries.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = createLogger({ level: 'silent' });
const daily: SummaryInput = { kind: 'daily', entries: [{ date: '2024-03-06', text: EN_DIARY }] };

describe('LLM calls under the fleet token gate', () => {
  let llm: FakeLlm;
  let a: RedisClient;
  let b: RedisClient;
  const channel = `test:llm-gate:${randomUUID()}`;
  before(async () => {
    llm = await startFakeLlm();
    [a, b] = await Promise.all([connectRedis({ url: REDIS_URL, role: 'test-a', logger: quiet }), connectRedis({ url: REDIS_URL, role: 'test-b', logger: quiet })]);
  });
  beforeEach(async () => {
    llm.reset();
    const keys = await a.keys(`{${channel}:llm}:*`);
    if (keys.length > 0) await a.del(keys);
  });
  after(async () => {
    const keys = await a.keys(`{${channel}:llm}:*`);
    if (keys.length > 0) await a.del(keys);
    await Promise.all([a.close(), b.close(), llm.close()]);
  });

  const summarizer = (client: RedisClient, tpm?: number, clock?: FakeClock) =>
    new OpenAiSummarizer({
      baseUrl: llm.url,
      model: 'fake-model',
      apiKey: 'sk-shared',
      baseDelayMs: 10,
      tokenGate: createTokenBudget(scriptRunner(client), keysFor(channel), { ...(tpm ? { tokensPerMinute: tpm, burst: 100_000 } : {}), ...(clock ? { clock } : {}) }),
    });
  const bucket = async () => Number(await a.hGet(`{${channel}:llm}:tokens`, 'tokens'));

  it('a reservation is corrected to the usage the provider reported', async () => {
    const clock = new FakeClock(1_700_000_000_000); // time stands still: no refill muddles the count
    const result = await summarizer(a, 600_000, clock).summarize(daily, new AbortController().signal);
    assert.equal(llm.usage.length, 1);
    const used = (llm.usage[0] as { tokens: number }).tokens;
    assert.ok(result.usage && result.usage.inputTokens + result.usage.outputTokens === used);
    assert.equal(await bucket(), 100_000 - used, 'the bucket holds capacity minus what was used, not minus the estimate');
  });

  it('no usage reported: the estimate stays reserved', async () => {
    const silent = await startFakeLlm({ usage: false });
    try {
      const clock = new FakeClock(1_700_000_000_000);
      const s = new OpenAiSummarizer({
        baseUrl: silent.url,
        model: 'fake-model',
        tokenGate: createTokenBudget(scriptRunner(a), keysFor(channel), { tokensPerMinute: 600_000, burst: 100_000, clock }),
      });
      await s.summarize(daily, new AbortController().signal);
      const sent = silent.requests[0]?.body?.messages as { role: 'system' | 'user'; content: string }[];
      assert.equal(await bucket(), 100_000 - estimateCallTokens(sent));
    } finally {
      await silent.close();
    }
  });

  it("one subscriber's 429 with remaining 0 and its reset pauses the other subscriber's calls until the reset", async () => {
    llm.script({ type: 'rate-limit', headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' } });
    const one = summarizer(a).summarize(daily, new AbortController().signal);
    while (llm.calls < 1) await new Promise((r) => setTimeout(r, 5));
    const t429 = (llm.requests[0] as { at: number }).at;
    // Let the pause reach Redis, then the other subscriber calls.
    await new Promise((r) => setTimeout(r, 100));
    const two = summarizer(b).summarize({ kind: 'daily', entries: [{ date: '2024-03-07', text: EN_DIARY }] }, new AbortController().signal);
    await Promise.all([one, two]);
    assert.equal(llm.calls, 3, 'the 429, its retry and the other call');
    for (const r of llm.requests.slice(1)) {
      // Without the shared pause the other call would arrive ~100 ms after the 429.
      assert.ok(r.at - t429 >= 950, `a call went ${r.at - t429} ms after the 429, inside the 1 s pause`);
    }
  });

  it("Azure's -1 and 0 without a reset do not pause anybody", async () => {
    llm.script({ type: 'ok', headers: { 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-remaining-requests': '0' } });
    await summarizer(a).summarize(daily, new AbortController().signal);
    assert.deepEqual(await a.keys(`{${channel}:llm}:pause:*`), [], 'no pause was set');
  });

  it('a long Retry-After shared with the fleet is waited out, not handed back as a failed delivery', async () => {
    // The default maxRetryAfterMs hands back anything beyond it; a shared pause is waited in the gate.
    const s = new OpenAiSummarizer({
      baseUrl: llm.url, model: 'fake-model', apiKey: 'sk-shared', baseDelayMs: 10, maxRetryAfterMs: 100,
      tokenGate: createTokenBudget(scriptRunner(a), keysFor(channel)),
    });
    llm.script({ type: 'rate-limit', retryAfter: '1' });
    const result = await s.summarize(daily, new AbortController().signal);
    assert.ok(result.text.length > 0);
    assert.equal(llm.calls, 2);
  });
});
