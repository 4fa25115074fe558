// A chaos seed replays: the same seed gives the same fault plan, edits and LLM answers; another
// seed gives another plan.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FakeLlmRequest } from '../helpers/fake-llm.js';
import { countByKind, FAULT_KINDS, llmDecider, makeFaultPlan, POISON } from './fault-plan.js';

const WORLD = { users: 6, days: 12 };
const request = (text: string): FakeLlmRequest => ({ body: { messages: [{ role: 'user', content: text }] }, authorization: undefined, path: '/v1/chat/completions', at: 0 });

test('the same seed gives the same plan, another seed another', () => {
  assert.deepEqual(makeFaultPlan(7, 60_000, WORLD), makeFaultPlan(7, 60_000, WORLD));
  assert.notDeepEqual(makeFaultPlan(7, 60_000, WORLD).faults, makeFaultPlan(8, 60_000, WORLD).faults);
});

test('a minute of faults strikes within the phase and covers every kind over a few seeds', () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 5; seed++) {
    const plan = makeFaultPlan(seed, 60_000, WORLD);
    assert.ok(plan.faults.length >= 10, `seed ${seed}: ${plan.faults.length} faults`);
    for (const f of plan.faults) {
      assert.ok(f.at > 0 && f.at < 60_000);
      seen.add(f.kind);
    }
    for (const e of plan.edits) assert.ok(e.user < WORLD.users && e.day < WORLD.days);
  }
  assert.deepEqual([...seen].sort(), [...FAULT_KINDS].sort());
  assert.equal(Object.values(countByKind(makeFaultPlan(1, 60_000, WORLD).faults)).reduce((a, b) => a + b, 0), makeFaultPlan(1, 60_000, WORLD).faults.length);
});

test('the LLM answers replay per call, and a poisoned prompt always gets a 503', () => {
  const a = llmDecider(3);
  const b = llmDecider(3);
  const answers = Array.from({ length: 200 }, (_, n) => [a(request('U1 2024-01-24 e0'), n), b(request('U1 2024-01-24 e0'), n)]);
  for (const [x, y] of answers) assert.deepEqual(x, y);
  const kinds = new Set(answers.map(([x]) => x?.type));
  assert.deepEqual([...kinds].sort(), ['hang', 'ok', 'rate-limit', 'server-error']);
  assert.deepEqual(a(request(`P 2024-01-24 e0 ${POISON}`), 200), { type: 'server-error', status: 503 });
});
