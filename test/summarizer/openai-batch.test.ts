// The batch request of a job is the very body a live call would send, and its answer is read the
// way a live answer is; what one request cannot do (map-reduce stages, a monthly answer that
// ignored the JSON schema and needs the plain-text prompt, a refusal) throws, so the job runs live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAiSummarizer } from '../../src/summarizer/openai.js';
import type { SummaryInput } from '../../src/summarizer/summarizer.js';

const base = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm1', maxInputChars: 2000 };
const daily: SummaryInput = { kind: 'daily', entries: [{ date: '2024-01-02', text: 'Walked to the harbour and watched the ferries come in. '.repeat(3) }] };
const monthly: SummaryInput = {
  kind: 'monthly',
  entries: [
    { date: '2024-01-02', text: 'Harbour walk.', isSummary: true },
    { date: '2024-01-09', text: 'Rainy reading day.', isSummary: true },
  ],
};
const answer = (content: string) => ({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 4 } });

test('only a batchable summarizer, and only an input that fits one request, gives a batch call', async () => {
  assert.equal(await new OpenAiSummarizer(base).batchCall(daily), undefined, 'not the operator’s endpoint with LLM_BATCH');
  const s = new OpenAiSummarizer({ ...base, batchable: true });
  const call = await s.batchCall(daily);
  assert.ok(call);
  assert.equal(call.model, 'm1');
  assert.deepEqual(Object.keys(call.body).sort(), ['messages', 'model', 'stream', 'temperature']);
  assert.match(JSON.stringify(call.body.messages), /harbour and watched the ferries/);
  const long: SummaryInput = { kind: 'daily', entries: [{ date: '2024-01-02', text: 'x '.repeat(3000) }] };
  assert.equal(await s.batchCall(long), undefined, 'map-reduce stages run live');
  const month = await s.batchCall(monthly);
  assert.equal((month?.body.response_format as { type?: string } | undefined)?.type, 'json_schema', 'the structured monthly request, as live');
});

test('an answer is read as a live one; one that needs another request, or a refusal, throws', async () => {
  const s = new OpenAiSummarizer({ ...base, batchable: true });
  const r = await s.fromBatchAnswer(daily, answer('A calm day by the sea.'));
  assert.equal(r.text, 'A calm day by the sea.');
  assert.deepEqual(r.usage, { inputTokens: 10, outputTokens: 4 });
  const structured = JSON.stringify({ days: [{ date: '2024-01-02', text: 'Harbour walk' }], trend: 'Quiet weeks.' });
  assert.ok((await s.fromBatchAnswer(monthly, answer(structured))).text.length > 0);
  await assert.rejects(s.fromBatchAnswer(monthly, answer('just prose, no JSON')), /another request/);
  await assert.rejects(s.fromBatchAnswer(daily, { choices: [{ message: { content: '' }, finish_reason: 'content_filter' }] }), /filtered/);
  await assert.rejects(s.fromBatchAnswer(daily, { nothing: true }), /no choices/);
  // The odd monthly answer did not switch this summarizer's live calls to plain text.
  assert.equal(((await s.batchCall(monthly))?.body.response_format as { type?: string } | undefined)?.type, 'json_schema');
});
