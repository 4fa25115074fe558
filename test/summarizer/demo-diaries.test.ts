// The demo's diaries are written days, not a shuffled pool, long enough to summarize; and the
// monthly summaries the README shows are the ones the code makes of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEMO_SPAN_DAYS, sampleDiaries } from '../../src/demo/sample-diaries.js';
import { ExtractiveSummarizer } from '../../src/summarizer/extractive.js';
import { detectLanguage } from '../../src/summarizer/language.js';
import { bigrams, jaccard, NEAR_DUPLICATE } from '../../src/summarizer/near-duplicate.js';
import { splitSentences } from '../../src/summarizer/sentences.js';
import type { SummaryEntry } from '../../src/summarizer/summarizer.js';

const TODAY = '2026-12-01';
const codePoints = (s: string): number => Array.from(s).length;

/** What `npm start` shows for the demo: each day's extractive summary, then each month's over them. */
async function demoMonths(today: string): Promise<Map<string, string>> {
  const s = new ExtractiveSummarizer();
  const signal = new AbortController().signal;
  const months = new Map<string, SummaryEntry[]>();
  for (const d of sampleDiaries(today, DEMO_SPAN_DAYS, 1000)) {
    const daily = await s.summarize({ kind: 'daily', entries: [{ date: d.date, text: d.content }] }, signal);
    const month = d.date.slice(0, 7);
    months.set(month, [...(months.get(month) ?? []), { date: d.date, text: daily.text, isSummary: true }]);
  }
  const out = new Map<string, string>();
  for (const [month, entries] of months) out.set(month, (await s.summarize({ kind: 'monthly', entries }, signal)).text);
  return out;
}

describe('demo diaries', () => {
  it('one written diary per day with an entry, oldest first, all before today, in both languages over more than five weeks', () => {
    const diaries = sampleDiaries(TODAY, DEMO_SPAN_DAYS, 1000);
    assert.equal(diaries.length, 28);
    assert.equal(diaries[0]?.date, '2026-10-22');
    assert.equal(diaries.at(-1)?.date, '2026-11-30');
    for (let i = 1; i < diaries.length; i++) assert.ok((diaries[i - 1] as { date: string }).date < (diaries[i] as { date: string }).date);
    const languages = diaries.map((d) => detectLanguage(d.content));
    assert.equal(languages.filter((l) => l === 'ja').length, 14);
    assert.equal(languages.filter((l) => l === 'en').length, 14);
  });

  it('at least max(minChars, 1000) characters each, whatever SUMMARY_MIN_CHARS is', () => {
    for (const min of [0, 500, 1000, 1200, 2500]) {
      for (const d of sampleDiaries(TODAY, 60, min)) assert.ok(codePoints(d.content) >= Math.max(min, 1000), `${min}: ${d.date} has ${codePoints(d.content)}`);
    }
  });

  it('fixed texts on days relative to today: the same on every run and for every today', () => {
    assert.deepEqual(sampleDiaries(TODAY, 40, 1000), sampleDiaries(TODAY, 40, 1000));
    const a = sampleDiaries('2026-12-01', 40, 1000).map((d) => d.content);
    const b = sampleDiaries('2027-06-15', 40, 1000).map((d) => d.content);
    assert.deepEqual(a, b);
  });

  it('no pool: no sentence is written on two days, not even nearly', () => {
    const sentences = sampleDiaries(TODAY, DEMO_SPAN_DAYS, 1000).flatMap((d) => splitSentences(d.content).map((s) => ({ date: d.date, s, g: bigrams(s) })));
    assert.ok(sentences.length > 500, `${sentences.length} sentences`);
    for (let i = 0; i < sentences.length; i++) {
      for (let j = i + 1; j < sentences.length; j++) {
        const a = sentences[i] as (typeof sentences)[number];
        const b = sentences[j] as (typeof sentences)[number];
        if (a.date !== b.date) assert.ok(jaccard(a.g, b.g) < NEAR_DUPLICATE, `${a.date} and ${b.date}: ${a.s} / ${b.s}`);
      }
    }
  });

  it('the README shows the monthly summaries the code makes of the demo on 2026-12-01', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const m = /<!-- demo-summaries:start -->\n([\s\S]*?)\n<!-- demo-summaries:end -->/.exec(readme);
    assert.ok(m, 'demo-summaries markers present');
    const months = await demoMonths(TODAY);
    const blocks = [...(m[1] as string).matchAll(/```text\n([\s\S]*?)\n```/g)].map((b) => b[1]);
    assert.deepEqual(blocks, [months.get('2026-10'), months.get('2026-11')], `README blocks should read:\n${months.get('2026-10')}\n\n${months.get('2026-11')}`);
  });
});
