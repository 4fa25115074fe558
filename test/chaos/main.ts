// npm run chaos -- --seed N --minutes M --transport pubsub|streams
// Runs one seeded chaos run against the built CLI (dist/) and prints its seed first, then the
// faults injected, the LLM-call histogram and any violated invariant; exits 1 when one failed.
// `--json` adds a last line with the report as JSON (for RESULTS.md); `--logs DIR` keeps every
// process's log, the faults injected and the LLM calls there.
import { parseArgs } from 'node:util';
import { runChaos } from './run.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string', default: '1' },
    transport: { type: 'string', default: 'pubsub' },
    'converge-seconds': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    logs: { type: 'string' },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minutes = Number(values.minutes);
const transport = values.transport;
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed ${values.seed}: expected a non-negative integer`);
if (!(minutes > 0 && minutes <= 60)) throw new Error(`--minutes ${values.minutes}: expected a number of minutes in (0, 60]`);
if (transport !== 'pubsub' && transport !== 'streams') throw new Error(`--transport ${transport}: expected pubsub or streams`);

console.log(`chaos seed ${seed} (--seed ${seed} --minutes ${minutes} --transport ${transport})`);
const started = Date.now();
const report = await runChaos({
  seed,
  transport,
  faultPhaseMs: Math.round(minutes * 60_000),
  convergeMs: Number(values['converge-seconds']) * 1000,
  ...(values.logs ? { logDir: values.logs } : {}),
  log: (l) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${l}`),
});
console.log(`faults injected: ${JSON.stringify(report.injected)} (planned ${JSON.stringify(report.planned)})`);
console.log(`edits ${report.edits}, scheduler ticks ${report.ticks}, SIGTERMs ${report.terms}, LLM calls ${report.llmCalls} (${report.llmFaultAnswers} fault answers), dead letters ${report.deadLetters}, lease lapses ${report.leaseLapses}, driver's longest stall ${report.maxStallMs} ms`);
console.log(`LLM calls per job version (calls: versions): ${JSON.stringify(report.histogram)}`);
if (report.ok) console.log(`PASS seed ${seed} ${transport}`);
else {
  for (const v of report.violations) console.log(`VIOLATION ${v}`);
  console.log(`FAIL seed ${seed} ${transport}: ${report.violations.length} violation(s)`);
}
if (values.json) console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
