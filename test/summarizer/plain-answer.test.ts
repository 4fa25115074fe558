// Cleaning plain-text LLM answers, and reading plain or structured monthly answers into lines we render.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cleanAnswer, cleanInline } from '../../src/summarizer/plain-answer.js';
import { labelConsistency, monthlyRedundancy } from '../../src/summarizer/quality-metrics.js';
import { parsePlainAnswer, parseStructuredAnswer, renderMonthlyAnswer } from '../../src/summarizer/structured-summary.js';
import type { SummaryEntry } from '../../src/summarizer/summarizer.js';

const chars = (s: string): number => Array.from(s).length;
const NOVEMBER: SummaryEntry[] = [{ date: '2026-11-01', text: 'x' }, { date: '2026-11-30', text: 'y' }];

describe('plain answers', () => {
  for (const [what, answer, kind, language, stored] of [
    ['an English preamble, heading, bold and closing offer', 'Sure! Here is the summary:\n\n# Daily summary\n- **Met Tom** at the `office`\n- Read [the novel](https://example.com)\n\nLet me know if you need anything else!', 'daily', 'en', '- Met Tom at the office\n- Read the novel'],
    ['Japanese politeness around the answer', 'はい、承知しました。\n以下が今日の要約です：\n\n・会議で**予約システム**を決めた\n・夜は鍋\n\n他にご要望があればお知らせください。', 'daily', 'ja', '・会議で予約システムを決めた\n・夜は鍋'],
    ['a one-line answer with its preamble inline', 'Here is your summary: I walked to the lighthouse and back.', 'daily', 'en', 'I walked to the lighthouse and back.'],
    ['chatter closing the last line', 'I fixed the tap. It took all evening. Let me know if you want a shorter version.', 'daily', 'en', 'I fixed the tap. It took all evening.'],
    ['a code fence and numbered list, monthly', '```\n1. 5日: 引っ越した\n2. Mar 9: 新しい部屋\n```\n以上です。', 'monthly', 'ja', '5日: 引っ越した\nMar 9: 新しい部屋'],
    ['an answer that is nothing but a heading', '## Summary', 'daily', 'en', 'Summary'],
  ] as const) {
    it(what, () => {
      assert.equal(cleanAnswer(answer, kind, language), stored);
    });
  }

  it('keeps what is not Markdown: snake_case, 2*3, a lone asterisk, words like "summary" inside a line', () => {
    assert.equal(cleanInline('set max_retry_count to 2*3 * 4; the summary was long'), 'set max_retry_count to 2*3 * 4; the summary was long');
  });

  it('never stores an empty answer for a non-empty one', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.constantFrom('daily' as const, 'monthly' as const), (text, kind) => {
        if (text.trim() === '') return;
        assert.ok(cleanAnswer(text, kind, 'en').trim() !== '', JSON.stringify(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('monthly answers rendered by us', () => {
  it('reads a plain answer: labelled lines are days (labels in any language), the rest the trend; relabels by language', () => {
    const answer = parsePlainAnswer('19日: In the afternoon I wrote the design document.\nOct 23: 予約システムが本番に出た。\nA busy month.');
    assert.deepEqual(answer, {
      days: [
        { date: '19日', text: 'In the afternoon I wrote the design document.' },
        { date: 'Oct 23', text: '予約システムが本番に出た。' },
      ],
      trend: 'A busy month.',
    });
    const october: SummaryEntry[] = [{ date: '2026-10-19', text: '…' }];
    assert.equal(renderMonthlyAnswer(answer, october, 300), 'Oct 19: In the afternoon I wrote the design document.\n23日: 予約システムが本番に出た。\nA busy month.');
  });

  it('reads structured answers, fenced or not; anything else is not the JSON asked for', () => {
    const json = '{"days":[{"date":"2026-11-05","text":"Moved house."}],"trend":"Busy."}';
    assert.deepEqual(parseStructuredAnswer(json), { days: [{ date: '2026-11-05', text: 'Moved house.' }], trend: 'Busy.' });
    assert.deepEqual(parseStructuredAnswer('```json\n' + json + '\n```'), parseStructuredAnswer(json));
    assert.equal(parseStructuredAnswer('Here is the summary: Nov 5: moved house.'), undefined);
    assert.equal(parseStructuredAnswer('{"days":"none","trend":1}'), undefined);
    assert.equal(renderMonthlyAnswer({ days: [], trend: '  ' }, NOVEMBER, 300), undefined, 'an answer that says nothing');
  });

  it('days as numbers, labels or dates of this month; impossible days dropped', () => {
    const text = renderMonthlyAnswer(
      { days: [{ date: '3', text: 'Three.' }, { date: '31', text: 'No such day.' }, { date: 'Dec 4', text: 'Next month.' }, { date: '11月7日', text: '七日。' }], trend: 'T.' },
      NOVEMBER,
      300,
    );
    assert.equal(text, 'Nov 3: Three.\n7日: 七日。\nT.');
  });

  it('any answer → within the budget, no near-duplicate lines, every label in its line\'s language', () => {
    const day = fc.record({ date: fc.oneof(fc.integer({ min: 1, max: 31 }).map((d) => `2026-11-${String(d).padStart(2, '0')}`), fc.string({ maxLength: 8 })), text: fc.string({ maxLength: 160 }) });
    const words = fc.constantFrom('会議があった。', 'Walked home.', '**bold**', '\n', '予約システム', 'the canal', '…', '😀', '5日: ');
    const text = fc.oneof(fc.string({ maxLength: 120 }), fc.array(words, { maxLength: 20 }).map((w) => w.join('')));
    fc.assert(
      fc.property(fc.array(fc.oneof(day, fc.record({ date: day.map((d) => d.date), text })), { maxLength: 9 }), text, fc.integer({ min: 40, max: 400 }), (days, trend, budget) => {
        const out = renderMonthlyAnswer({ days, trend }, NOVEMBER, budget);
        if (out === undefined) return;
        assert.ok(chars(out) <= budget, `${chars(out)} > ${budget}: ${JSON.stringify(out)}`);
        assert.equal(monthlyRedundancy(out), 0, out);
        assert.ok((labelConsistency(out) ?? 1) === 1, out);
      }),
      { numRuns: 400 },
    );
  });
});
