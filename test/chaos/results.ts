// Renders batch.ts's JSON lines as the tables of RESULTS.md:
//   node --import tsx test/chaos/results.ts /tmp/pubsub.jsonl /tmp/streams.jsonl
import { readFileSync } from 'node:fs';
import { FAULT_KINDS } from './fault-plan.js';
import type { ChaosReport } from './run.js';

const reports: Partial<ChaosReport>[] = process.argv.slice(2).flatMap((f) =>
  readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Partial<ChaosReport>),
);
for (const transport of ['pubsub', 'streams']) {
  const rs = reports.filter((r) => r.transport === transport);
  if (rs.length === 0) continue;
  const pass = rs.filter((r) => r.ok).length;
  console.log(`\n### ${transport}: ${pass} of ${rs.length} seeds passed\n`);
  console.log(`| seed | result | ${FAULT_KINDS.join(' | ')} | LLM calls (fault answers) | converged s | calls per job version |`);
  console.log(`|---|---|${FAULT_KINDS.map(() => '---').join('|')}|---|---|---|`);
  const totals = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<string, number>;
  const merged: Record<string, number> = {};
  for (const r of rs) {
    for (const k of FAULT_KINDS) totals[k] = (totals[k] ?? 0) + (r.injected?.[k] ?? 0);
    for (const [n, c] of Object.entries(r.histogram ?? {})) merged[n] = (merged[n] ?? 0) + c;
    const faults = FAULT_KINDS.map((k) => String(r.injected?.[k] ?? '–')).join(' | ');
    const conv = r.convergedMs === undefined ? '–' : (r.convergedMs / 1000).toFixed(0);
    console.log(`| ${r.seed} | ${r.ok ? 'pass' : 'FAIL'} | ${faults} | ${r.llmCalls ?? '–'} (${r.llmFaultAnswers ?? '–'}) | ${conv} | ${JSON.stringify(r.histogram ?? {})} |`);
  }
  console.log(`| all | ${pass}/${rs.length} | ${FAULT_KINDS.map((k) => String(totals[k])).join(' | ')} | | | ${JSON.stringify(merged)} |`);
  for (const r of rs.filter((x) => !x.ok)) console.log(`\n- seed ${r.seed}: ${(r.violations ?? []).join('; ')}`);
}
