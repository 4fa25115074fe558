// The built-in, offline, deterministic summarizer (LLM_PROVIDER=extractive): it picks the input's
// most central sentences and never writes words of its own, except the monthly theme line.
import { detectEntriesLanguage } from './language.js';
import { orderByScore, rankSentences } from './rank.js';
import { splitSentences } from './sentences.js';
import type { Language, Summarizer, SummaryEntry, SummaryInput, SummaryResult } from './summarizer.js';
import { keyTerms, tokenize } from './tokenize.js';

export const EXTRACTIVE_MODEL = 'extractive-v1';

export interface ExtractiveOptions {
  /** Daily summary budget in characters (code points); default 200 for Japanese, 400 for English. */
  dailyMaxChars?: Partial<Record<Language, number>>;
  /** Monthly summary budget in characters; default 300. */
  monthlyMaxChars?: number;
}

const DEFAULT_DAILY: Record<Language, number> = { ja: 200, en: 400 };
const DEFAULT_MONTHLY = 300;
/** More than this many sentences reads as a retelling, not a summary. */
const MAX_DAILY_SENTENCES = 5;
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ELLIPSIS = '…';

export interface DailyExtract {
  /** The chosen sentences in their original order; each is a slice of the input, except that
   *  a lone sentence longer than the whole budget is cut and ends with "…". */
  sentences: string[];
  text: string;
}

function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts to at most `max` code points including the trailing "…" (English: at a word boundary when one is near). */
function truncate(s: string, max: number, language: Language): string {
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  let cut = cps.slice(0, max - 1).join('');
  if (language === 'en') {
    const space = cut.lastIndexOf(' ');
    if (space > cut.length * 0.7) cut = cut.slice(0, space);
  }
  return cut.trimEnd() + ELLIPSIS;
}

function joinSentences(sentences: readonly string[], language: Language): string {
  if (language === 'en') return sentences.join(' ');
  // Japanese runs sentences together; a space only where a line had no closing punctuation.
  let out = '';
  for (const s of sentences) {
    if (out && !/[。！？!?.」』）)…]$/.test(out)) out += ' ';
    out += s;
  }
  return out;
}

/** The best sentences of `text` within `maxChars`, in their original order. */
export function extractDaily(text: string, language: Language, maxChars: number): DailyExtract {
  const sentences = splitSentences(text);
  if (sentences.length === 0 || maxChars <= 0) return { sentences: [], text: '' };
  const scores = rankSentences(sentences.map((s) => tokenize(s, language)));
  const chosen: number[] = [];
  let used = 0;
  // Past the first two, only sentences more central than average: filler would only dilute.
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  for (const i of orderByScore(scores)) {
    if (chosen.length >= 2 && (scores[i] as number) < mean) break;
    const len = charLength(sentences[i] as string);
    const extra = chosen.length > 0 ? 1 : 0; // worst case: one space between sentences
    if (used + extra + len > maxChars) continue;
    chosen.push(i);
    used += extra + len;
    if (chosen.length >= MAX_DAILY_SENTENCES) break;
  }
  if (chosen.length === 0) {
    // Every sentence is longer than the budget: cut the best one, visibly.
    const best = orderByScore(scores)[0] as number;
    const cut = truncate(sentences[best] as string, maxChars, language);
    return { sentences: [cut], text: cut };
  }
  chosen.sort((a, b) => a - b);
  const picked = chosen.map((i) => sentences[i] as string);
  return { sentences: picked, text: joinSentences(picked, language) };
}

/** Line breaks inside a sentence (and the spaces around them) become one space. */
export function oneLine(s: string): string {
  // Every line break JavaScript knows (\n, \r, \v, \f, NEL, LINE/PARAGRAPH SEPARATOR), not just \n.
  return s.replace(/\s*[\n\r\v\f\u0085\u2028\u2029]\s*/gu, ' ');
}

function dayLabel(date: string, language: Language): string {
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  if (!Number.isFinite(day) || day < 1) return date;
  return language === 'ja' ? `${day}日` : `${MONTHS_EN[month - 1] ?? date.slice(0, 7)} ${day}`;
}

/** The month's recurring themes: terms found on the most days, then most often, then earliest. */
function themes(entries: readonly SummaryEntry[], language: Language): string[] {
  const stats = new Map<string, { days: number; count: number; first: number; display: string }>();
  let pos = 0;
  for (const e of entries) {
    const seen = new Set<string>();
    for (const term of keyTerms(e.text, language)) {
      const t = term.toLowerCase();
      const s = stats.get(t) ?? { days: 0, count: 0, first: pos++, display: term };
      s.count++;
      if (!seen.has(t)) {
        s.days++;
        seen.add(t);
      }
      stats.set(t, s);
    }
  }
  const minDays = entries.length >= 2 ? 2 : 1;
  return [...stats.entries()]
    .filter(([, s]) => s.days >= minDays && s.count >= 2)
    .sort((a, b) => b[1].days - a[1].days || b[1].count - a[1].count || a[1].first - b[1].first)
    .slice(0, 3)
    .map(([, s]) => s.display);
}

function monthLine(entries: readonly SummaryEntry[], language: Language): string {
  const days = new Set(entries.map((e) => e.date)).size;
  const t = themes(entries, language);
  if (language === 'ja') {
    return t.length > 0 ? `今月は${days}日分の日記。よく出てきた話題: ${t.join('、')}。` : `今月は${days}日分の日記。`;
  }
  if (days === 0) return 'No entries this month.';
  const noun = days === 1 ? 'entry' : 'entries';
  return t.length > 0 ? `${days} ${noun} this month; recurring themes: ${t.join(', ')}.` : `${days} ${noun} this month.`;
}

/**
 * Up to three notable days ("5日: …" / "Jan 5: …"), each with the sentence most central to the
 * whole month, in date order, then one line on the month; at most `maxChars` characters.
 */
export function extractMonthly(entries: readonly SummaryEntry[], language: Language, maxChars: number): string {
  const sorted = [...entries].filter((e) => e.text.trim() !== '').sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let last = monthLine(sorted, language);
  if (charLength(last) > maxChars) last = truncate(last, maxChars, language);
  // Rank every sentence of the month together so "notable" means central to the month.
  const sentences: { day: number; text: string }[] = [];
  sorted.forEach((e, day) => {
    // One line per day: a sentence hard-wrapped over lines is shown on one (whitespace joined).
    for (const s of splitSentences(e.text)) sentences.push({ day, text: oneLine(s) });
  });
  const scores = rankSentences(sentences.map((s) => tokenize(s.text, language)));
  const bestOfDay = new Map<number, number[]>(); // day → its sentence indices, best first
  for (const i of orderByScore(scores)) {
    const d = (sentences[i] as { day: number }).day;
    const list = bestOfDay.get(d) ?? [];
    list.push(i);
    bestOfDay.set(d, list);
  }
  // Map iteration follows insertion, i.e. the order of each day's best sentence: best days first.
  const days = [...bestOfDay.keys()].slice(0, 3).sort((a, b) => a - b);
  const room = maxChars - charLength(last);
  const lines: string[] = [];
  if (days.length > 0) {
    const perLine = Math.floor((room - days.length) / days.length); // minus one newline each
    for (const d of days) {
      const prefix = `${dayLabel((sorted[d] as SummaryEntry).date, language)}: `;
      const budget = perLine - charLength(prefix);
      if (budget < 8) continue; // too little room to say anything
      const candidates = bestOfDay.get(d) ?? [];
      const fit = candidates.find((i) => charLength((sentences[i] as { text: string }).text) <= budget);
      const body =
        fit !== undefined
          ? (sentences[fit] as { text: string }).text
          : truncate((sentences[candidates[0] as number] as { text: string }).text, budget, language);
      lines.push(prefix + body);
    }
  }
  lines.push(last);
  return lines.join('\n');
}

export class ExtractiveSummarizer implements Summarizer {
  readonly provider = 'extractive' as const;
  readonly #daily: Record<Language, number>;
  readonly #monthly: number;

  constructor(options: ExtractiveOptions = {}) {
    this.#daily = { ...DEFAULT_DAILY, ...options.dailyMaxChars };
    this.#monthly = options.monthlyMaxChars ?? DEFAULT_MONTHLY;
  }

  /** Synchronous work behind a promise; an already-aborted signal rejects with its reason. */
  summarize(input: SummaryInput, signal: AbortSignal): Promise<SummaryResult> {
    try {
      signal.throwIfAborted();
      const language = input.language ?? detectEntriesLanguage(input.entries);
      const text =
        input.kind === 'daily'
          ? extractDaily(input.entries.map((e) => e.text).join('\n\n'), language, this.#daily[language]).text
          : extractMonthly(input.entries, language, this.#monthly);
      return Promise.resolve({ text, model: EXTRACTIVE_MODEL });
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
