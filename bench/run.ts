// `npm run bench`: issue 8's benchmarks side by side in one run; writes bench/results/<date>.md,
// <date>.json and latest.md.
//
//   npm run bench                          # everything, 5 runs of each scenario
//   npm run bench -- --runs 3 --only transport,scheduler
//   npm run bench -- --quick               # smoke run with small sizes
//   npm run bench -- --only quality --runs 1 --no-write   # summary quality (issue 20), seconds
//   npm run bench -- --filter streams.drain --runs 1     # figures whose id contains the text
//   npm run bench -- --only cluster --runs 3             # one Redis vs a 3-master cluster (8, 64 partitions)
//   node --cpu-prof --cpu-prof-dir=bench/results/profiles --import tsx bench/run.ts --only transport --filter ours.streams.drain --runs 1 --no-write
//
// Needs redis-server and redis-benchmark on the PATH, PostgreSQL as for the tests
// (TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432), and, for the transport, cost,
// LLM-bound and memory groups, the build (`npm run build`): they measure dist/, as `npm start` runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { FigureBook, summarize } from './lib/figures.js';
import { machineFacts } from './lib/machine.js';
import { toJson, toMarkdown, type Report } from './lib/report.js';
import type { BenchContext } from './lib/common.js';
import { runTransport } from './scenarios/transport.js';
import { runLlmBound } from './scenarios/llm-bound.js';
import { runScheduler } from './scenarios/scheduler.js';
import { runMemory } from './scenarios/memory.js';
import { runQuality } from './scenarios/quality.js';
import { runScale } from './scenarios/scale.js';
import { runBudget } from './scenarios/budget.js';
import { runBatch } from './scenarios/batch.js';
import { runCluster } from './scenarios/cluster.js';
import { runCost } from './scenarios/cost.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'transport,llm,cost,memory,scheduler,quality,budget,batch,cluster' },
    filter: { type: 'string', default: '' },
    out: { type: 'string', default: new URL('./results/', import.meta.url).pathname },
    'no-write': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

const quick = values.quick ?? false;
const runs = Number(values.runs ?? (quick ? 1 : 5));
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const groups = (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const started = Date.now();
const book = new FigureBook();
const errors: string[] = [];
const notes: string[] = [];
const ctx: BenchContext = {
  book,
  runs,
  quick,
  filter: (values.filter ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  log: (line) => console.log(line),
  error: (line) => {
    errors.push(line);
    console.error(line);
  },
};

const machine = await machineFacts();
console.log(`bench: ${runs} run(s)${quick ? ', quick' : ''}; groups ${groups.join(', ')}; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Redis ${machine.redisServer}, PostgreSQL ${machine.postgres}`);

function writeReport(final: boolean): void {
  machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);

  const headlines: string[] = [];
  const med = (id: string) => summarize(book.get(id)?.values ?? []);
  const day = new Date().toISOString().slice(0, 10);
  const where = `${machine.cores}-core ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redisServer}, PostgreSQL ${machine.postgres}, ${day}`;
  const r1 = med('transport.ratio.streams-drain-vs-bullmq');
  if (r1.n > 0) {
    headlines.push(`Streams drain ÷ BullMQ process rate: **${r1.median.toFixed(2)}×** (min–max ${r1.min.toFixed(2)}–${r1.max.toFixed(2)}, ${r1.n} runs; goal ≥ 4×) — ${where}`);
  }
  for (const c of [10, 50, 200]) {
    const r = med(`llm.ratio.pubsub.c${c}`);
    const s = med(`llm.ratio.streams.c${c}`);
    if (r.n > 0 || s.n > 0) {
      headlines.push(`LLM-bound at concurrency ${c}: throughput ÷ (concurrency ÷ 200 ms) = Pub/Sub **${r.median.toFixed(3)}**${s.n > 0 ? `, Streams **${s.median.toFixed(3)}**` : ''} (goal ≥ 0.95)`);
    }
  }
  const st = med('scheduler.ratio.tick-1m-vs-10k').n > 0 ? med('scheduler.ratio.tick-1m-vs-10k') : med('scheduler.ratio.tick-100k-vs-10k');
  if (st.n > 0) headlines.push(`Scheduler tick over the largest size ÷ over 10,000 diaries (1,000 due): **${st.median.toFixed(2)}×** (min–max ${st.min.toFixed(2)}–${st.max.toFixed(2)}; goal ≤ 2× for 1,000,000)`);
  const tpm = med('budget.tpm-share');
  if (tpm.n > 0) {
    const ps = med('budget.priority.pubsub');
    const ss = med('budget.priority.streams');
    headlines.push(`LLM_MAX_TPM kept by 3 subscribers: tokens per minute ÷ N = **${tpm.median.toFixed(3)}** (min–max ${tpm.min.toFixed(3)}–${tpm.max.toFixed(3)}; goal > 0.9 and ≤ 1.05)${ps.n > 0 ? `; a diary_saved job behind a schedule backlog stored in Pub/Sub **${ps.median.toFixed(0)} ms**` : ''}${ss.n > 0 ? `, Streams **${ss.median.toFixed(0)} ms**` : ''}`);
  }
  const fair = med('batch.fairness.b-last');
  if (fair.n > 0) headlines.push(`Fairness: user B's 5 days beside user A's 2,000 stored after **${fair.median.toFixed(1)} s**, **${med('batch.fairness.b-share').median.toFixed(3)}** of A's run`);
  const live = med('batch.live-calls');
  if (live.n > 0) headlines.push(`LLM_BATCH=on, 1,000 scheduled jobs: **${live.median}** live calls (goal 0), cost ÷ live cost **${med('batch.cost-share').median.toFixed(3)}** (goal 0.5), edits overwritten **${med('batch.edits-overwritten').max}** (goal 0)`);
  const q = (id: string): string => med(`quality.${id}`).median.toFixed(2);
  if (med('quality.extractive.redundancy').n > 0) {
    headlines.push(`Summary quality, generated months (extractive; openai structured; openai plain-text fallback): redundancy **${q('extractive.redundancy')}; ${q('openai-structured.redundancy')}; ${q('openai-plain.redundancy')}** (goal 0), worst week coverage **${q('extractive.coverage-min')}; ${q('openai-structured.coverage-min')}; ${q('openai-plain.coverage-min')}** (goal ≥ 0.75), label language **${q('extractive.labels-min')}; ${q('openai-structured.labels-min')}; ${q('openai-plain.labels-min')}** (goal 1), largest budget use **${q('extractive.budget-max')}; ${q('openai-structured.budget-max')}; ${q('openai-plain.budget-max')}** (goal ≤ 1)`);
  }

  const report: Report = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
    runs,
    quick,
    durationSeconds: (Date.now() - started) / 1000,
    machine,
    figures: [...book.figures.values()],
    headlines,
    notes,
    errors,
  };
  const md = toMarkdown(report);
  if (final) console.log(`\n${md}`);
  if (!values['no-write']) {
    const dir = values.out as string;
    mkdirSync(dir, { recursive: true });
    const stamp = quick ? `${day}-quick` : day;
    writeFileSync(`${dir}/${stamp}.md`, md);
    writeFileSync(`${dir}/${stamp}.json`, toJson(report));
    if (!quick) writeFileSync(`${dir}/latest.md`, md);
    console.log(`written: ${dir}${stamp}.md, ${stamp}.json${quick ? '' : ', latest.md'}`);
  }
}

const GROUPS: Record<string, (c: BenchContext, notes: string[]) => Promise<void>> = {
  transport: (c, n) => runTransport(c, n),
  llm: (c, n) => runLlmBound(c, n),
  scheduler: (c, n) => runScheduler(c, n),
  memory: (c, n) => runMemory(c, n),
  quality: (c, n) => runQuality(c, n),
  scale: (c, n) => runScale(c, n),
  budget: (c, n) => runBudget(c, n),
  batch: (c, n) => runBatch(c, n),
  cluster: (c, n) => runCluster(c, n),
  cost: (c, n) => runCost(c, n),
};
for (const g of groups) {
  const fn = GROUPS[g];
  if (!fn) throw new Error(`unknown group ${g}; one of ${Object.keys(GROUPS).join(', ')}`);
  const t = Date.now();
  console.log(`== ${g}`);
  try {
    await fn(ctx, notes);
  } catch (err) {
    const e = err as Error;
    errors.push(`${g}: ${e.message}`);
    console.error(`${g} failed:`, e.stack ?? e.message);
  }
  console.log(`== ${g} took ${((Date.now() - t) / 1000).toFixed(0)} s`);
  writeReport(false); // partial results survive an interrupted run
}

writeReport(true);
process.exit(errors.length > 0 ? 1 : 0);
