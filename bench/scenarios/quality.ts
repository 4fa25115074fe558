// Issue 20: how readable the summaries are, over a corpus of generated months (test/summarizer/
// month-corpus.ts, deterministic from SEED: Japanese, English and mixed; dense and sparse; with and
// without routines; raw diaries and daily summaries). For the extractive summarizer, and for openai
// against the fake LLM on loopback answering from a fixed script (a plausible model's answer with
// the usual faults: a repeated day, a day of another month, Markdown, long lines; in plain text also
// a preamble, wrong-language labels and chatter). The measures are src/summarizer/quality-metrics.ts's,
// the same the property tests hold; then the time per summary at 1,000 and 100,000 characters.
import { budgetUse } from '../../src/summarizer/char-budget.js';
import { extractDaily } from '../../src/summarizer/daily-extract.js';
import { ExtractiveSummarizer } from '../../src/summarizer/extractive.js';
import { detectEntriesLanguage } from '../../src/summarizer/language.js';
import { dayLabel } from '../../src/summarizer/month-days.js';
import { OpenAiSummarizer } from '../../src/summarizer/openai.js';
import { MONTHLY_MAX_CHARS } from '../../src/summarizer/prompts.js';
import { COVERAGE_MIN_WEEKS, dailyRedundancy, labelConsistency, monthlyRedundancy, weekCoverage, weeksWithEntries } from '../../src/summarizer/quality-metrics.js';
import { splitSentences } from '../../src/summarizer/sentences.js';
import type { Summarizer, SummaryEntry, SummaryInput } from '../../src/summarizer/summarizer.js';
import { startFakeLlm, type FakeLlm } from '../../test/helpers/fake-llm.js';
import { corpus, sizedMonth } from '../../test/summarizer/month-corpus.js';
import { summarize } from '../lib/figures.js';
import { wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';

const SEED = 20;
/** Months of each of the 24 kinds. */
const PER_KIND = 3;
const DAILY_BUDGET = { ja: 200, en: 400 };
const live = (): AbortSignal => new AbortController().signal;

type Subject = 'extractive' | 'openai-structured' | 'openai-plain';
const SUBJECTS: Record<Subject, string> = {
  extractive: 'extractive (built in)',
  'openai-structured': 'openai, structured output (json_schema), fake LLM on loopback, fixed script',
  'openai-plain': 'openai, endpoint refusing response_format → plain-text prompt, fake LLM on loopback, fixed script',
};

function spec(id: string, label: string, client: string, unit: FigureSpec['unit'], better: 'higher' | 'lower'): FigureSpec {
  return { id: `quality.${id}`, group: 'quality', label, client, unit, better };
}

/** The script's structured answer for a month: four days spread over it, then the month's faults. */
function scriptedDays(entries: readonly SummaryEntry[]): { date: string; text: string }[] {
  const n = entries.length;
  const picks = [...new Set([0, 1, 2, 3].map((k) => Math.round((k * (n - 1)) / 3)))].map((i) => entries[i] as SummaryEntry);
  const days = picks.map((e, k) => {
    const first = splitSentences(e.text)[0] ?? e.text;
    return { date: e.date, text: k === 0 ? `**${first}**` : first + (k === 1 ? ` ${splitSentences(e.text)[1] ?? ''}` : '') };
  });
  const first = days[0];
  if (first) days.push({ date: (entries.at(-1) as SummaryEntry).date, text: first.text.replace(/\*\*/g, '') }); // the same line again
  days.push({ date: `${(entries[0] as SummaryEntry).date.slice(0, 4)}-13-01`, text: 'A day of no month.' });
  return days;
}

function scriptedTrend(entries: readonly SummaryEntry[]): string {
  return detectEntriesLanguage(entries) === 'ja' ? `## 今月は${entries.length}日分の日記で、仕事と家族の話が多かった。` : `## ${entries.length} days written, mostly about work and family.`;
}

/** The same answer as a naive model writes it in plain text: labels in the month's language whatever the line's, Markdown, preamble, chatter. */
function scriptedPlain(entries: readonly SummaryEntry[]): string {
  const language = detectEntriesLanguage(entries);
  const lines = scriptedDays(entries).map((d) => `- **${dayLabel(d.date, language)}**: ${d.text}`);
  const pre = language === 'ja' ? 'はい、以下が今月の要約です。' : 'Here is the summary:';
  const post = language === 'ja' ? '何かあればお気軽にどうぞ。' : 'Let me know if you need anything else!';
  return `${pre}\n\n${lines.join('\n')}\n${scriptedTrend(entries)}\n\n${post}`;
}

interface MonthScore {
  redundancy: number;
  coverage: number | undefined;
  labels: number | undefined;
  budget: number;
}

function score(text: string, entries: readonly SummaryEntry[]): MonthScore {
  return { redundancy: monthlyRedundancy(text), coverage: weekCoverage(text, entries), labels: labelConsistency(text), budget: budgetUse(text, MONTHLY_MAX_CHARS) };
}

function recordScores(ctx: BenchContext, subject: Subject, scores: readonly MonthScore[]): void {
  const client = SUBJECTS[subject];
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const coverage = scores.flatMap((s) => (s.coverage === undefined ? [] : [s.coverage]));
  const labels = scores.flatMap((s) => (s.labels === undefined ? [] : [s.labels]));
  const red = scores.map((s) => s.redundancy);
  const budget = scores.map((s) => s.budget);
  const n = scores.length;
  ctx.book.record(spec(`${subject}.redundancy`, `${subject}: redundancy, mean over ${n} months (goal 0)`, client, 'fraction', 'lower'), mean(red));
  ctx.book.record(spec(`${subject}.redundancy-max`, `${subject}: redundancy, worst month`, client, 'fraction', 'lower'), Math.max(...red));
  ctx.book.record(spec(`${subject}.coverage`, `${subject}: week coverage, mean over the ${coverage.length} months with ≥ 4 weeks (goal ≥ 0.75)`, client, 'fraction', 'higher'), mean(coverage));
  ctx.book.record(spec(`${subject}.coverage-min`, `${subject}: week coverage, worst month`, client, 'fraction', 'higher'), Math.min(...coverage));
  ctx.book.record(spec(`${subject}.labels`, `${subject}: language consistency of labels, mean (goal 1)`, client, 'fraction', 'higher'), mean(labels));
  ctx.book.record(spec(`${subject}.labels-min`, `${subject}: language consistency of labels, worst month`, client, 'fraction', 'higher'), Math.min(...labels));
  ctx.book.record(spec(`${subject}.budget-max`, `${subject}: output ÷ ${MONTHLY_MAX_CHARS}-character budget, largest (goal ≤ 1)`, client, 'fraction', 'lower'), Math.max(...budget));
}

/** Median milliseconds per summary over `n` calls (after one untimed call). */
async function msPerSummary(s: Summarizer, input: SummaryInput, n: number): Promise<number> {
  await s.summarize(input, live());
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await s.summarize(input, live());
    times.push(performance.now() - t);
  }
  return summarize(times).median;
}

export async function runQuality(ctx: BenchContext, notes: string[]): Promise<void> {
  const months = corpus(SEED, ctx.quick ? 1 : PER_KIND);
  const extractive = new ExtractiveSummarizer();
  const llm = await startFakeLlm();
  const refusing = await startFakeLlm({ structuredOutput: 'refuse' });
  notes.push(
    `Quality: ${months.length} generated months (test/summarizer/month-corpus.ts, seed ${SEED}: ja/en/mixed × dense/sparse × routine or not × raw diaries or daily summaries, ${ctx.quick ? 1 : PER_KIND} of each), ` +
      `${months.filter((m) => weeksWithEntries(m.entries).size >= COVERAGE_MIN_WEEKS).length} of them with entries in ≥ ${COVERAGE_MIN_WEEKS} weeks. Measures from src/summarizer/quality-metrics.ts. ` +
      'openai: one scripted answer per month from the fake LLM (test/helpers/fake-llm.ts) on loopback — four days spread over the month, one repeated, one of no month, Markdown, long lines; plain text adds a preamble, labels in the month\'s language and chatter — so the figures measure what we store of such an answer.',
  );
  try {
    for (let run = 0; run < ctx.runs; run++) {
      if (wanted(ctx, 'quality.extractive')) {
        const scores = [];
        for (const m of months) scores.push(score((await extractive.summarize({ kind: 'monthly', entries: m.entries }, live())).text, m.entries));
        recordScores(ctx, 'extractive', scores);
        const days = months.filter((m) => m.spec.form === 'raw').flatMap((m) => m.entries);
        const daily = days.map((e) => extractDaily(e.text, DAILY_BUDGET).text);
        const client = `${SUBJECTS.extractive}, ${days.length} raw diaries of the corpus`;
        ctx.book.record(spec('extractive.daily.redundancy', 'extractive daily: redundancy, worst diary (goal 0)', client, 'fraction', 'lower'), Math.max(...daily.map(dailyRedundancy)));
        ctx.book.record(spec('extractive.daily.budget-max', 'extractive daily: output ÷ budget (200 ja / 400 en, per sentence), largest (goal ≤ 1)', client, 'fraction', 'lower'), Math.max(...daily.map((t) => budgetUse(t, DAILY_BUDGET))));
      }
      for (const [subject, server] of [['openai-structured', llm], ['openai-plain', refusing]] as const) {
        if (!wanted(ctx, `quality.${subject}`)) continue;
        // One request per month (no map-reduce), so that each month gets its scripted answer.
        const s = new OpenAiSummarizer({ baseUrl: server.url, model: 'fake', maxInputChars: 1_000_000, maxRetries: 0 });
        const scores = [];
        for (const m of months) {
          const answer = subject === 'openai-plain' ? scriptedPlain(m.entries) : JSON.stringify({ days: scriptedDays(m.entries), trend: scriptedTrend(m.entries) });
          server.script({ type: 'ok', text: answer });
          scores.push(score((await s.summarize({ kind: 'monthly', entries: m.entries }, live())).text, m.entries));
        }
        recordScores(ctx, subject, scores);
      }
      await timeSummaries(ctx, extractive, llm);
      ctx.log(`  quality run ${run + 1}/${ctx.runs} done`);
    }
  } finally {
    await llm.close();
    await refusing.close();
  }
}

async function timeSummaries(ctx: BenchContext, extractive: ExtractiveSummarizer, llm: FakeLlm): Promise<void> {
  const openai = new OpenAiSummarizer({ baseUrl: llm.url, model: 'fake' });
  for (const size of [1_000, 100_000]) {
    const label = size === 1_000 ? '1k' : '100k';
    const month = sizedMonth(size, 'ja', SEED);
    const day: SummaryEntry[] = [{ date: '2025-04-01', text: month.map((e) => e.text).join('\n\n').slice(0, size) }];
    const n = size === 1_000 ? (ctx.quick ? 50 : 200) : ctx.quick ? 3 : 10;
    const cases: Array<[string, string, Summarizer, SummaryInput, string]> = [
      ['extractive.daily', 'extractive daily', extractive, { kind: 'daily', entries: day }, 'extractive, one Japanese diary'],
      ['extractive.monthly', 'extractive monthly', extractive, { kind: 'monthly', entries: month }, `extractive, a Japanese month of ${month.length} raw diaries`],
      ['openai.monthly', 'openai monthly', openai, { kind: 'monthly', entries: month }, `openai against the fake LLM on loopback (instant answers; LLM_MAX_INPUT_CHARS 12,000, so 100,000 characters are map-reduced), ${month.length} raw diaries`],
    ];
    for (const [id, what, s, input, client] of cases) {
      if (!wanted(ctx, `quality.time.${id}`)) continue;
      const chars = input.entries.reduce((a, e) => a + e.text.length, 0);
      const ms = await msPerSummary(s, input, n);
      ctx.book.record(spec(`time.${id}.${label}`, `${what}: time per summary at ${chars.toLocaleString('en-US')} characters (median of ${n})`, client, 'ms', 'lower'), ms);
    }
  }
}
