// Issue 20's measures held as properties of the extractive summarizer, for any generated month
// (test/summarizer/month-corpus.ts): no near-duplicate lines, the month's weeks reached, each label
// in its line's language, the budget kept; and the daily extract's order, de-duplication and budgets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { budgetUse } from '../../src/summarizer/char-budget.js';
import { extractDaily } from '../../src/summarizer/daily-extract.js';
import { ExtractiveSummarizer } from '../../src/summarizer/extractive.js';
import { detectEntriesLanguage, detectLanguage } from '../../src/summarizer/language.js';
import { extractMonthly } from '../../src/summarizer/monthly-extract.js';
import { isNearDuplicate, jaccard, bigrams } from '../../src/summarizer/near-duplicate.js';
import { dailyRedundancy, dayLines, labelConsistency, monthlyRedundancy, redundancy, weekCoverage } from '../../src/summarizer/quality-metrics.js';
import type { SummaryEntry } from '../../src/summarizer/summarizer.js';
import { generateMonth, type MonthSpec } from './month-corpus.js';

const chars = (s: string): number => Array.from(s).length;
const live = (): AbortSignal => new AbortController().signal;
const DAILY = { ja: 200, en: 400 };

const specArb: fc.Arbitrary<MonthSpec> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  month: fc.integer({ min: 1, max: 12 }),
  language: fc.constantFrom('ja' as const, 'en' as const, 'mixed' as const),
  density: fc.constantFrom('dense' as const, 'sparse' as const),
  routine: fc.boolean(),
  form: fc.constantFrom('raw' as const, 'summaries' as const),
});

describe('near-duplicates and the quality measures', () => {
  it('character-bigram Jaccard: case, width and punctuation do not matter; ≥ 0.8 is a near-duplicate', () => {
    assert.ok(isNearDuplicate('Walked home.', 'walked home!'));
    assert.ok(isNearDuplicate('明日は午前中を集中作業の時間としてカレンダーに確保しておいた。', '明日は午前中を集中作業の時間としてカレンダーに確保しておいた！'));
    assert.ok(isNearDuplicate('ＡＢＣ会議', 'abc会議'), 'full-width letters are the same letters');
    assert.ok(!isNearDuplicate('I had lunch with Tom at the noodle bar.', 'I repaired the bike with Priya by the canal.'));
    assert.equal(jaccard(bigrams('abcd'), bigrams('abce')), 2 / 4);
    assert.ok(!isNearDuplicate('abcdef', 'abcdxy'), '3 of 7 bigrams shared');
  });

  it('redundancy, week coverage and label consistency read a summary as the bench and the properties do', () => {
    assert.equal(redundancy(['a b c d.', 'A b c d!', 'something else entirely']), 2 / 3);
    const summary = '2日: 引っ越した。\nMar 9: Moved in.\n20日: Had dinner with Mum.\n今月は4日分の日記。';
    assert.deepEqual(dayLines(summary).map((l) => l.day), [2, 9, 20]);
    assert.equal(labelConsistency(summary), 2 / 3, '"20日:" over an English line');
    const month = [2, 9, 16, 23].map((d) => ({ date: `2024-03-${String(d).padStart(2, '0')}`, text: 'x' }));
    assert.equal(weekCoverage(summary, month), 3 / 4);
    assert.equal(weekCoverage(summary, month.slice(0, 3)), undefined, 'fewer than four weeks: not measured');
    assert.equal(monthlyRedundancy('Mar 2: Walked home.\nMar 9: walked home!\nA month.'), 1);
  });
});

describe('extractive monthly summary: properties over generated months', () => {
  it('any generated month: no near-duplicate lines, ≥ ¾ of its weeks when it has four or more, labels in their lines\' language, ≤ 300 characters, the theme line in the dominant language', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const entries = generateMonth(spec);
        const language = detectEntriesLanguage(entries);
        const text = extractMonthly(entries, language, 300);
        const why = `${JSON.stringify(spec)}\n${text}`;
        assert.ok(chars(text) <= 300, why);
        assert.equal(monthlyRedundancy(text), 0, why);
        const coverage = weekCoverage(text, entries);
        if (coverage !== undefined) assert.ok(coverage >= 0.75, `coverage ${coverage}: ${why}`);
        assert.ok((labelConsistency(text) ?? 1) === 1, why);
        assert.equal(detectLanguage(text.split('\n').at(-1) as string), language, why);
      }),
      { numRuns: 150 },
    );
  });

  it('the issue\'s month: one routine sentence on every day is shown once at most, and the lines reach four weeks', async () => {
    const routine = '明日は午前中を集中作業の時間としてカレンダーに確保しておいた。';
    const events = ['引っ越しの荷造りをした。', '母の誕生日に天ぷら屋へ行った。', '本番で障害が起きて夜まで直した。', '佐藤さんと高尾山に登った。', '健太と新橋で飲んだ。', '初めてパンを焼いた。'];
    const entries: SummaryEntry[] = Array.from({ length: 24 }, (_, i) => ({
      date: `2026-11-${String(i + 1).padStart(2, '0')}`,
      text: `${routine}${events[i % events.length]}${i}回目の記録。`,
    }));
    const { text } = await new ExtractiveSummarizer().summarize({ kind: 'monthly', entries }, live());
    const lines = dayLines(text);
    assert.ok(lines.filter((l) => l.body === routine).length <= 1, text);
    assert.equal(monthlyRedundancy(text), 0, text);
    assert.ok((weekCoverage(text, entries) ?? 0) >= 0.75, text);
    assert.ok(new Set(lines.map((l) => l.day)).size === lines.length && lines.length >= 3, text);
  });

  it('a mixed month: each line labelled in its sentence\'s language, the theme line in the language of most days', () => {
    const entries: SummaryEntry[] = [
      { date: '2026-10-02', text: '朝から引っ越しの荷造りをした。妹が手伝いに来てくれた。' },
      { date: '2026-10-09', text: 'In the afternoon I wrote the design document for the notification service.' },
      { date: '2026-10-16', text: 'The pub quiz went badly, but we won the bonus round on Japanese lakes.' },
      { date: '2026-10-23', text: 'I took the train to Howth and watched the seals in the harbour.' },
    ];
    const text = extractMonthly(entries, detectEntriesLanguage(entries), 300);
    assert.equal(labelConsistency(text), 1, text);
    assert.match(text, /^2日: /mu);
    assert.match(text, /^Oct (9|16|23): /mu);
    assert.match(text.split('\n').at(-1) as string, /^4 entries this month/u, 'three English days of four: an English theme line');
  });
});

describe('extractive daily summary: order, repeats and budgets', () => {
  it('any generated diary: diary order kept, no near-duplicates, within each language\'s budget', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        for (const entry of generateMonth({ ...spec, form: 'raw' }).slice(0, 3)) {
          const { text, sentences } = extractDaily(entry.text, DAILY);
          const why = `${JSON.stringify(spec)} ${entry.date}\n${text}`;
          assert.ok(budgetUse(text, DAILY) <= 1 + 1e-9, why);
          assert.equal(dailyRedundancy(text), 0, why);
          let at = -1;
          for (const s of sentences) {
            const found = entry.text.indexOf(s, at + 1);
            assert.ok(found > at, `order: ${why}`);
            at = found;
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a sentence repeated in the diary (routine, copy-paste) is kept once', () => {
    const diary = '朝、川沿いを五キロ走った。会議で予約システムの設計を決めた。朝、川沿いを五キロ走った！夜は予約システムの資料を読んだ。朝、川沿いを五キロ走った。';
    const { sentences } = extractDaily(diary, DAILY);
    assert.ok(sentences.filter((s) => s.startsWith('朝、川沿い')).length <= 1, sentences.join(' | '));
  });

  it('a mixed-language diary: English sentences spend the English budget, Japanese ones the Japanese budget', () => {
    const ja = '今日は会社で予約システムの設計レビューがあり、田中さんと一時間議論した。';
    const en = [
      'The design review of the booking system took the whole morning, and Tanaka and I argued about cancellations for an hour.',
      'After the design review I rewrote the booking system notes so that the cancellation flow is clear to everyone on the team.',
    ];
    const diary = [ja, ...en].join('\n\n');
    assert.equal(detectLanguage(diary), 'ja', 'as a whole the diary reads as Japanese (its budget would be 200)');
    const { text } = extractDaily(diary, DAILY);
    assert.ok(en.every((s) => text.includes(s)), `both English sentences fit the English budget: ${text}`);
    assert.ok(chars(text) > 200, `${chars(text)} characters: more than the Japanese budget alone would allow`);
    assert.ok(budgetUse(text, DAILY) <= 1);
    // Sentence by sentence: 259 Japanese characters do not fit 200; 259 English ones fit 400.
    const long = '予約システムのキャンセル待ちの流れを、田中さんと佐藤さんと三人で一時間かけて見直し、'.repeat(6) + '結論を出した。';
    const longEn = `${'We went through the whole cancellation flow of the booking system again, '.repeat(3)}and decided.`.slice(0, 259);
    assert.equal(chars(long), 259);
    assert.equal(extractDaily(`${long}\n\nOk.`, DAILY).text, 'Ok.');
    assert.equal(extractDaily(`${long}\n\nOk.`, 400).text, `${long}Ok.`, 'with one budget of 400 for both it would fit');
    assert.equal(extractDaily(`${longEn}\n\nOk.`, DAILY).text, `${longEn} Ok.`);
  });
});
