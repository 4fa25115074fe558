// The openai provider's monthly summary as structured output (days[] + trend, rendered by us), its
// fallback to the plain-text prompt on endpoints that refuse or ignore response_format, and the
// cleaning of plain answers — against the fake OpenAI-compatible server on loopback.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PermanentJobError } from '../../src/errors/job-errors.js';
import { OpenAiSummarizer } from '../../src/summarizer/openai.js';
import { labelConsistency, monthlyRedundancy } from '../../src/summarizer/quality-metrics.js';
import type { SummaryEntry, SummaryInput } from '../../src/summarizer/summarizer.js';
import { fakeAnswer, fakeStructuredAnswer, startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { EN_DIARY, EN_MONTH, JA_MONTH } from './diaries.js';

const MODEL = 'test-model';
const live = (): AbortSignal => new AbortController().signal;
const chars = (s: string): number => Array.from(s).length;
const monthlyJa: SummaryInput = { kind: 'monthly', entries: JA_MONTH };
const monthlyEn: SummaryInput = { kind: 'monthly', entries: EN_MONTH };
const userMessage = (llm: FakeLlm, i: number): string => llm.requests[i]?.body?.messages?.find((m) => m.role === 'user')?.content ?? '';
const systemMessage = (llm: FakeLlm, i: number): string => llm.requests[i]?.body?.messages?.find((m) => m.role === 'system')?.content ?? '';
const asksStructured = (llm: FakeLlm, i: number): boolean => (llm.requests[i]?.body?.response_format as { type?: string } | undefined)?.type === 'json_schema';
const ok = (text: string) => ({ type: 'ok' as const, text });

describe('openai summarizer: structured monthly output', () => {
  let llm: FakeLlm;
  const make = (): OpenAiSummarizer => new OpenAiSummarizer({ baseUrl: llm.url, model: MODEL, baseDelayMs: 5 });

  before(async () => {
    llm = await startFakeLlm({ models: [MODEL] });
  });
  after(async () => {
    await llm.close();
  });
  beforeEach(() => llm.reset());

  it('asks for the JSON schema and renders the answer itself: one line per day labelled in its language, then the trend', async () => {
    const result = await make().summarize(monthlyJa, live());
    assert.equal(llm.calls, 1);
    assert.ok(asksStructured(llm, 0), 'response_format json_schema sent');
    const schema = JSON.stringify(llm.requests[0]?.body?.response_format);
    assert.match(schema, /"required":\["days","trend"\]/);
    assert.match(systemMessage(llm, 0), /YYYY-MM-DD/);
    // The fake answers with the first 30 characters of JA_MONTH's first, middle and last entries: 2, 14, 30 March.
    const answer = JSON.parse(fakeStructuredAnswer(userMessage(llm, 0))) as { days: { date: string; text: string }[]; trend: string };
    assert.deepEqual(answer.days.map((d) => d.date), ['2024-03-02', '2024-03-14', '2024-03-30']);
    const head = (day: number): string => (JA_MONTH.find((e) => e.date === `2024-03-${String(day).padStart(2, '0')}`)?.text ?? '').slice(0, 30);
    assert.equal(result.text, [`2日: ${head(2)}`, `14日: ${head(14)}`, `30日: ${head(30)}`, answer.trend].join('\n'));
    assert.equal(result.text.split('\n').at(-1), fakeAnswer(userMessage(llm, 0)));
  });

  it('holds the model to the format: days of the month only, once each, no near-duplicates, labels by language, at most 300 characters', async () => {
    const long = '予約システムのキャンセル待ちの処理を見直し、テストを書き足して、夜遅くまで佐藤さんと原因を探した。'.repeat(6);
    llm.script(
      ok(
        JSON.stringify({
          days: [
            { date: '2024-03-05', text: '**予約システム**の設計レビューで議論した。' },
            { date: '2024-03-05', text: '同じ日をもう一度。' },
            { date: '2024-03-09', text: '予約システムの設計レビューで議論した！' },
            { date: '2024-04-01', text: '翌月の日。' },
            { date: '14日', text: '14日: ' + long },
            { date: 'Mar 20', text: 'Took Mum out for her birthday; she loved the tempura.' },
          ],
          trend: '## 今月は引っ越しと予約システムの一か月だった。',
        }),
      ),
    );
    const { text } = await make().summarize(monthlyJa, live());
    const lines = text.split('\n');
    assert.equal(lines.length, 4, text);
    assert.equal(lines[0], '5日: 予約システムの設計レビューで議論した。', 'Markdown stripped; the repeated 5th and the near-duplicate 9th dropped');
    assert.match(lines[1] as string, /^14日: 予約システムのキャンセル待ち.*…$/u, 'the label inside the text is replaced by ours; the long text cut');
    assert.equal(lines[2], 'Mar 20: Took Mum out for her birthday; she loved the tempura.', 'an English line gets an English label');
    assert.equal(lines[3], '今月は引っ越しと予約システムの一か月だった。');
    assert.ok(!text.includes('翌月'), 'a day outside the month is dropped');
    assert.ok(chars(text) <= 300, `${chars(text)} chars`);
    assert.equal(monthlyRedundancy(text), 0);
    assert.equal(labelConsistency(text), 1);
  });

  it('an endpoint that refuses response_format (400): the plain-text prompt at once, and from then on only that', async () => {
    const refusing = await startFakeLlm({ models: [MODEL], structuredOutput: 'refuse' });
    try {
      const s = new OpenAiSummarizer({ baseUrl: refusing.url, model: MODEL, baseDelayMs: 5 });
      refusing.script(ok('Here is the summary:\n\n- **Mar 12**: Presented the billing plan to Marcus.\n- 18日: Long run along the canal.\n\nOverall, a month of planning and running.\n\nLet me know if you want changes!'));
      const first = await s.summarize(monthlyEn, live());
      assert.equal(refusing.calls, 2, 'one refused structured request, one plain');
      assert.ok(asksStructured(refusing, 0));
      assert.ok(!asksStructured(refusing, 1), 'the fallback sends no response_format');
      assert.match(systemMessage(refusing, 1), /Mon D: what happened/, "today's plain-text prompt");
      assert.equal(first.text, 'Mar 12: Presented the billing plan to Marcus.\nMar 18: Long run along the canal.\nOverall, a month of planning and running.');
      await s.summarize(monthlyEn, live());
      assert.equal(refusing.calls, 3, 'remembered: the next summary asks in plain text straight away');
      assert.ok(!asksStructured(refusing, 2));
      await new OpenAiSummarizer({ baseUrl: refusing.url, model: MODEL }).summarize(monthlyEn, live());
      assert.ok(asksStructured(refusing, 3), 'another summarizer (other settings) tries structured output again');
    } finally {
      await refusing.close();
    }
  });

  it('a scripted format refusal falls back the same way; other 400s are not mistaken for one', async () => {
    llm.script({ type: 'format-unsupported' });
    const s = make();
    const { text } = await s.summarize(monthlyEn, live());
    assert.equal(llm.calls, 2);
    assert.equal(text, fakeAnswer(userMessage(llm, 1)), 'the plain answer, whose lines have no day labels, is the trend');
    llm.reset();
    llm.script({ type: 'refusal' });
    const err = await make().summarize(monthlyEn, live()).catch((e: unknown) => e);
    assert.ok(err instanceof PermanentJobError, String(err));
    assert.equal(llm.calls, 1, 'a content refusal is final, not a reason to ask again');
  });

  it('an endpoint that ignores the schema and answers in prose: asked again in plain text, and remembered', async () => {
    const ignoring = await startFakeLlm({ models: [MODEL], structuredOutput: 'ignore' });
    try {
      const s = new OpenAiSummarizer({ baseUrl: ignoring.url, model: MODEL });
      const first = await s.summarize(monthlyJa, live());
      assert.equal(ignoring.calls, 2);
      assert.ok(asksStructured(ignoring, 0) && !asksStructured(ignoring, 1));
      assert.equal(first.text, fakeAnswer(userMessage(ignoring, 1)));
      await s.summarize(monthlyJa, live());
      assert.equal(ignoring.calls, 3);
    } finally {
      await ignoring.close();
    }
  });

  it('plain daily answers are stored without Markdown, preamble or chatter, in the bullets the prompt asked for', async () => {
    llm.script(
      ok('Sure! Here is a summary of the day:\n\n## Summary\n* **Planning:** argued with Priya about the billing migration\n* Walked along the canal and called Mum\n\n**People:** Priya, Mum\n\nI hope this helps! Let me know if you need anything else.'),
      ok('はい、以下が要約です。\n\n### 要約\n- 予約システムの**設計レビュー**があった\n- 夜は湯豆腐を作った\n\n何かあればお気軽にお申し付けください。'),
    );
    const en = await make().summarize({ kind: 'daily', entries: [{ date: '2024-03-06', text: EN_DIARY }] }, live());
    assert.equal(en.text, '- Planning: argued with Priya about the billing migration\n- Walked along the canal and called Mum\nPeople: Priya, Mum');
    const ja: SummaryEntry = { date: '2024-03-05', text: JA_MONTH[1]?.text ?? '' };
    const jaResult = await make().summarize({ kind: 'daily', entries: [ja] }, live());
    assert.equal(jaResult.text, '・予約システムの設計レビューがあった\n・夜は湯豆腐を作った');
  });

  it('long monthly input: map stages in plain text, the final reduce as structured output', async () => {
    const month = Array.from({ length: 28 }, (_, i) => ({
      date: `2024-02-${String(i + 1).padStart(2, '0')}`,
      text: `DAY${i + 1}: ` + 'We walked by the river and talked about the project plans for spring. '.repeat(6),
    }));
    const { text } = await new OpenAiSummarizer({ baseUrl: llm.url, model: MODEL, maxInputChars: 3000 }).summarize({ kind: 'monthly', entries: month }, live());
    const structured = llm.requests.map((_, i) => asksStructured(llm, i));
    assert.ok(structured.length >= 3);
    assert.deepEqual(structured.slice(0, -1).filter(Boolean), [], 'map requests are plain text');
    assert.equal(structured.at(-1), true, 'the last request asks for the schema');
    assert.match(text, /^Feb \d+: /u);
  });
});
