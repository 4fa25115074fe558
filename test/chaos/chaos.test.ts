// A short chaos run per transport inside `npm test`: seed 28's fault plan over 15 s kills and
// SIGTERMs subscribers, kills Redis, makes it answer with errors, ends the database connections and
// edits running jobs' diaries (see fault-plan.ts). The long runs are `npm run chaos`; their results
// are in RESULTS.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from './run.js';
import type { Transport } from './world.js';

const SEED = 28;

for (const transport of ['pubsub', 'streams'] as Transport[]) {
  test(`chaos seed ${SEED}, ${transport}: every invariant holds after the faults`, async (t) => {
    const report = await runChaos({ seed: SEED, transport, faultPhaseMs: 15_000, convergeMs: 150_000, log: (l) => t.diagnostic(l) });
    t.diagnostic(`injected ${JSON.stringify(report.injected)}; LLM calls per job version ${JSON.stringify(report.histogram)}`);
    assert.deepEqual(report.violations, [], `seed ${SEED} ${transport}: reproduce with npm run chaos -- --seed ${SEED} --minutes 0.25 --transport ${transport}`);
    assert.ok(Object.values(report.injected).reduce((a, b) => a + b, 0) > 0, 'faults were injected');
  });
}
