// Generated months of diaries, deterministic from a seed, for the summary-quality property tests and
// the `quality` bench group: Japanese, English or mixed; dense or sparse; with or without routines
// repeated day after day; as raw diaries or as the daily summaries a monthly job mostly gets.
// Every day says at least one thing of its own (an event no other day of the month nearly repeats),
// the premise on which "never show a near-duplicate" and "reach the month's weeks" can both hold.
import { isNearDuplicate } from '../../src/summarizer/near-duplicate.js';
import type { Language, SummaryEntry } from '../../src/summarizer/summarizer.js';

export type MonthLanguage = Language | 'mixed';

export interface MonthSpec {
  seed: number;
  /** 1–12, of 2025. */
  month: number;
  language: MonthLanguage;
  /** dense: an entry on most days; sparse: on about one day in four. */
  density: 'dense' | 'sparse';
  /** The same few sentences (a morning run, an early night) on most days. */
  routine: boolean;
  /** raw diaries (paragraphs, a dozen sentences) or daily summaries (two to four sentences). */
  form: 'raw' | 'summaries';
}

/** A small deterministic PRNG (mulberry32): the same seed, the same month, on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const EN = {
  time: ['In the morning', 'After lunch', 'In the afternoon', 'In the evening', 'Before dinner', 'Late at night', 'At noon', 'Early on'],
  person: ['Priya', 'Tom', 'Maria', 'my sister', 'Kenji', 'Sarah', 'my dad', 'an old friend', 'the new intern', 'our neighbour'],
  action: [
    'repaired a wobbly bicycle', 'planned the spring garden', 'rehearsed a difficult talk', 'cooked a huge pot of curry',
    'painted the hallway blue', 'argued about a film', 'sorted boxes of old letters', 'wrote a long proposal',
    'tested the new release', 'built a bookshelf', 'baked bread for the first time', 'walked to the lighthouse',
    'visited the science museum', 'fixed a leaking tap', 'played chess for hours', 'learned a folk song',
  ],
  place: ['at the library', 'by the canal', 'in the office', 'at home', 'in the park', 'at the market', 'in a small cafe', 'on the train'],
  feeling: ['and it felt good', 'which made me laugh', 'and I was proud of it', 'though I was tired', 'and time flew', 'which I will remember'],
  routine: ['I went for a run along the river before breakfast.', 'I went to bed early again.', 'Coffee first, then emails, as always.'],
  filler: ['The weather was grey.', 'It was an ordinary day.', 'I read a few pages before sleeping.', 'Nothing else happened.', 'I tidied the kitchen.'],
};

const JA = {
  time: ['朝', '午前中', '昼休み', '午後', '夕方', '夜', '帰り道', '寝る前'],
  person: ['田中さん', '佐藤さん', '妹', '母', '健太', '山本さん', '鈴木さん', '祖母', '後輩', '隣の人'],
  action: [
    '自転車のブレーキを直した', '春の旅行の計画を立てた', '発表の練習をした', 'カレーを大鍋で作った', '廊下の壁を塗り直した',
    '映画の結末で言い合いになった', '古い手紙を整理した', '企画書を書き上げた', '新しい版を試した', '本棚を組み立てた',
    '初めてパンを焼いた', '灯台まで歩いた', '科学館を見て回った', '水漏れを修理した', '将棋を何局も指した', '民謡を一曲覚えた',
  ],
  place: ['図書館で', '川沿いで', '会社で', '家で', '公園で', '市場で', '小さな喫茶店で', '電車の中で'],
  feeling: ['気分がよかった', '思わず笑った', '少し誇らしかった', '疲れたけれど満足した', 'あっという間だった', 'きっと忘れない'],
  routine: ['朝、川沿いを五キロ走った。', '今日も早めに寝た。', 'いつものようにコーヒーを淹れてからメールを読んだ。'],
  filler: ['空は一日中曇っていた。', '特に変わったことのない一日だった。', '寝る前に本を少し読んだ。', '台所を片付けた。', 'ほかには何もなかった。'],
};

/** An event: its main sentence (what must stay unique) and the text written (with, in Japanese, a feeling after it). */
function event(rand: () => number, language: Language): { main: string; text: string } {
  if (language === 'en') {
    const main = `${pick(rand, EN.time)} I ${pick(rand, EN.action)} with ${pick(rand, EN.person)} ${pick(rand, EN.place)}, ${pick(rand, EN.feeling)}.`;
    return { main, text: main };
  }
  const main = `${pick(rand, JA.time)}、${pick(rand, JA.person)}と${pick(rand, JA.place)}${pick(rand, JA.action)}。`;
  return { main, text: `${main}${pick(rand, JA.feeling)}。` };
}

/**
 * An event whose main sentence no earlier one in `taken` nearly repeats (bounded tries; the material
 * has thousands of combinations). `taken` null: no check (timing corpora, where only size matters).
 */
function uniqueEvent(rand: () => number, language: Language, taken: string[] | null): string {
  for (let i = 0; ; i++) {
    const e = event(rand, language);
    if (taken === null) return e.text;
    if (i > 200 || !taken.some((t) => isNearDuplicate(t, e.main))) {
      taken.push(e.main);
      return e.text;
    }
  }
}

function dayText(rand: () => number, language: Language, spec: MonthSpec, taken: string[] | null): string {
  const bank = language === 'en' ? EN : JA;
  const join = (xs: string[]): string => xs.join(language === 'en' ? ' ' : '');
  const routine = (): string[] => (spec.routine && rand() < 0.85 ? [pick(rand, bank.routine)] : []);
  if (spec.form === 'summaries') {
    const parts = [uniqueEvent(rand, language, taken), ...routine()];
    if (rand() < 0.5) parts.push(pick(rand, bank.filler));
    return join(rand() < 0.5 ? parts : parts.reverse());
  }
  const paragraphs: string[] = [];
  let events = 0;
  const n = 3 + Math.floor(rand() * 3);
  for (let p = 0; p < n; p++) {
    const s: string[] = p === 0 ? routine() : [];
    if (rand() < 0.6) {
      s.push(uniqueEvent(rand, language, taken));
      events++;
    } else s.push(pick(rand, bank.filler));
    if (rand() < 0.5) s.push(pick(rand, bank.filler));
    paragraphs.push(join(s));
  }
  if (events === 0) paragraphs.push(uniqueEvent(rand, language, taken));
  return paragraphs.join('\n\n');
}

/** The month an input spec describes: its entries in date order. */
export function generateMonth(spec: MonthSpec): SummaryEntry[] {
  const rand = prng(spec.seed);
  const days = new Date(Date.UTC(2025, spec.month, 0)).getUTCDate();
  const chance = spec.density === 'dense' ? 0.85 : 0.25;
  const taken: string[] = [];
  const entries: SummaryEntry[] = [];
  for (let day = 1; day <= days; day++) {
    if (rand() >= chance) continue;
    const language: Language = spec.language === 'mixed' ? (rand() < 0.5 ? 'ja' : 'en') : spec.language;
    const date = `2025-${String(spec.month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    entries.push({ date, text: dayText(rand, language, spec, taken), isSummary: spec.form === 'summaries' });
  }
  return entries;
}

/** The bench's corpus: every kind of month (3 languages × 2 densities × routine or not × 2 forms), `perKind` of each. */
export function corpus(seed: number, perKind: number): { spec: MonthSpec; entries: SummaryEntry[] }[] {
  const out: { spec: MonthSpec; entries: SummaryEntry[] }[] = [];
  let n = 0;
  for (const language of ['ja', 'en', 'mixed'] as const) {
    for (const density of ['dense', 'sparse'] as const) {
      for (const routine of [false, true]) {
        for (const form of ['summaries', 'raw'] as const) {
          for (let k = 0; k < perKind; k++) {
            const spec: MonthSpec = { seed: seed * 1000 + n, month: (n % 12) + 1, language, density, routine, form };
            out.push({ spec, entries: generateMonth(spec) });
            n++;
          }
        }
      }
    }
  }
  return out;
}

/**
 * A month of about `chars` characters (for timing): raw diaries in `language`, every day of a
 * 30-day month when that is needed, each diary long enough to make up the total.
 */
export function sizedMonth(chars: number, language: Language, seed = 1): SummaryEntry[] {
  const rand = prng(seed);
  const days = Math.max(1, Math.min(30, Math.round(chars / 300)));
  const spec: MonthSpec = { seed, month: 4, language, density: 'dense', routine: true, form: 'raw' };
  return Array.from({ length: days }, (_, i) => {
    let text = '';
    while (text.length < chars / days) text += (text ? '\n\n' : '') + dayText(rand, language, spec, null);
    return { date: `2025-04-${String(i + 1).padStart(2, '0')}`, text: text.slice(0, Math.ceil(chars / days)) };
  });
}
