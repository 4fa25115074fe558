// The LLM-call invariant: a second call of one job version is allowed only for a fault that hit it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeLlmRequest } from '../helpers/fake-llm.js';
import { checkLlmCalls, leaseLapses } from './invariants.js';

const USER = '6ce60b01-2366-4db5-85a6-5489f0d81900';
const call = (at: number, answer: FakeLlmRequest['answer'] = 'ok'): FakeLlmRequest => ({
  body: { messages: [{ role: 'system', content: 'Summarize the day below' }, { role: 'user', content: '[2024-01-25]\nU3 2024-01-25 e0. Walked' }] },
  authorization: undefined,
  path: '/v1/chat/completions',
  at,
  answer,
});

test('two ok calls of one version with nothing in between break the invariant', () => {
  const r = checkLlmCalls([call(1000), call(1200)], []);
  assert.equal(r.violations.length, 1);
  assert.deepEqual(r.histogram, { 2: 1 });
});

test('a fault answer, an injected fault in the span, or a logged lease lapse of that job allows one more', () => {
  assert.deepEqual(checkLlmCalls([call(1000, 'rate-limit'), call(1200)], []).violations, []);
  assert.deepEqual(checkLlmCalls([call(1000), call(1200)], [{ kind: 'kill-subscriber', target: 0, start: 1100, end: 1100 }]).violations, []);
  assert.equal(checkLlmCalls([call(1000), call(1200)], [{ kind: 'kill-subscriber', target: 0, start: 1300, end: 1300 }]).violations.length, 1);
  const lapses = leaseLapses([[{ msg: 'claim lost; aborting its job', claim: `chaos_1:claim:daily:${USER}:2024-01-25`, time: new Date(1500).toISOString() }]], ['a', 'b', 'c', USER]);
  assert.deepEqual(lapses, [{ job: 'daily U3 2024-01-25', at: 1500 }]);
  assert.deepEqual(checkLlmCalls([call(1000), call(1200)], [], lapses).violations, []);
  assert.equal(checkLlmCalls([call(1000), call(1200)], [], [{ job: 'daily U4 2024-01-25', at: 1500 }]).violations.length, 1);
});
