// The extractive monthly summary: notable days chosen for salience and diversity (maximal marginal
// relevance over the month's sentences), spread over the month's weeks, never one sentence twice nor
// two near-duplicates, each line labelled in the language of its sentence; then one line on the
// month, in the language the caller gives (the month's dominant one).
import { detectLanguage } from './language.js';
import { labelledLine, MAX_LABEL, MIN_LINE_BODY, weekOfMonth } from './month-days.js';
import { bigrams, DuplicateFilter, jaccard, NEAR_DUPLICATE, normalized, type Bigrams } from './near-duplicate.js';
import { rank, type Ranking } from './rank.js';
import { charLength, oneLine, splitSentences, truncate } from './sentences.js';
import type { Language, SummaryEntry } from './summarizer.js';
import { keyTerms, stem, tokenize } from './tokenize.js';

/** Three notable days at least; more when the month has more weeks to cover (one per week, up to 5). */
const MIN_LINES = 3;
const MAX_LINES = 5;
/** Weeks a month's lines should reach: ¾ of the weeks that have entries. */
const WEEK_SHARE = 0.75;
/** Relevance against redundancy in MMR; 0.7 is the usual choice (Carbonell & Goldstein 1998). */
const LAMBDA = 0.7;
/** Weights of a sentence's salience (see candidatesOf). */
const DAY_WEIGHT = 0.4;
const LEAD_WEIGHT = 0.4;
const MONTH_WEIGHT = 0.2;
/** A day is represented by one of its few best sentences, not by a stray one that fits. */
const PER_DAY = 3;

/**
 * A sentence that opens by pointing back ("Then…", "It was…", 「そのあと…」) reads wrongly on a line of
 * its own, away from what it points to: worth this much of one that stands alone.
 */
const DANGLING = /^(?:(?:it|its|it's|then|this|that|these|those|they|them|he|she|his|her|there|but|and|so|also|afterwards|after that)\b|(?:それ|その|そこ|そう|あの|でも|だが|ただ|結局|しかし|そして|また|すると|だから)(?!日))/iu;
const DANGLING_PENALTY = 0.5;
/** A sentence written on other days too (a routine) is worth this much of one of its own. */
const ROUTINE_PENALTY = 0.3;

interface Sentence {
  date: string;
  text: string;
  language: Language;
}

interface Candidate extends Sentence {
  /** Index into the month's sentences (for the similarity of two candidates). */
  index: number;
  /** Its text's bigrams, for near-duplicate checks. */
  grams: Bigrams;
  week: number;
  relevance: number;
}

interface Line {
  candidate: Candidate;
  text: string;
  body: string;
}

function byDate(a: SummaryEntry, b: SummaryEntry): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : 0;
}

/**
 * Notable days ("5日: …" / "Jan 5: …") in date order, each with a sentence of that day, then one
 * line on the month in `language`; at most `maxChars` characters.
 */
export function extractMonthly(entries: readonly SummaryEntry[], language: Language, maxChars: number): string {
  const sorted = entries.filter((e) => e.text.trim() !== '').sort(byDate);
  let last = monthLine(sorted, language);
  if (charLength(last) > maxChars) last = truncate(last, maxChars, language);
  const sentences: Sentence[] = [];
  for (const e of sorted) {
    // One line per day: a sentence hard-wrapped over lines is shown on one (whitespace joined).
    for (const s of splitSentences(e.text)) {
      const text = oneLine(s);
      sentences.push({ date: e.date, text, language: detectLanguage(text) });
    }
  }
  const ranking = rank(sentences.map((s) => tokenize(s.text, s.language)));
  const candidates = candidatesOf(sentences, ranking);
  const dates = new Set(candidates.map((c) => c.date));
  const weeks = new Set(candidates.map((c) => c.week));
  let k = Math.min(dates.size, MAX_LINES, Math.max(MIN_LINES, Math.ceil(WEEK_SHARE * weeks.size)));
  // One newline per day line; fewer lines when each would have too little room.
  while (k > 0 && (maxChars - charLength(last) - k) / k < MIN_LINE_BODY + MAX_LABEL) k--;
  const lines = chooseLines(candidates, ranking, k, maxChars - charLength(last) - k);
  lines.sort((a, b) => byDate(a.candidate, b.candidate) || a.candidate.index - b.candidate.index);
  return [...lines.map((l) => l.text), last].join('\n');
}

/**
 * Each day's best few sentences. Salience: central to its day most of all, early in the day's text
 * (a diary, and a daily summary, tends to open with what the day was about), and a little central
 * to the month; a sentence that (nearly) recurs on other days is a routine, not what made the day
 * notable. Diversity is MMR's part.
 */
function candidatesOf(sentences: readonly Sentence[], ranking: Ranking): Candidate[] {
  const monthMax = ranking.scores.reduce((a, b) => Math.max(a, b), Number.MIN_VALUE);
  const days = new Map<string, number[]>();
  const keys = sentences.map((s) => normalized(s.text));
  const datesOf = new Map<string, Set<string>>(); // normalized text → the days it is written on
  sentences.forEach((s, i) => {
    const list = days.get(s.date);
    if (list) list.push(i);
    else days.set(s.date, [i]);
    const dates = datesOf.get(keys[i] as string);
    if (dates) dates.add(s.date);
    else datesOf.set(keys[i] as string, new Set([s.date]));
  });
  const verbatim = (i: number): boolean => (datesOf.get(keys[i] as string)?.size ?? 1) > 1;
  const out: Candidate[] = [];
  for (const [date, indices] of days) {
    const dayScores = ranking.centralityWithin(indices);
    const dayMax = dayScores.reduce((a, b) => Math.max(a, b), Number.MIN_VALUE);
    const scored = indices.map((index, k) => {
      const s = sentences[index] as Sentence;
      const salience =
        MONTH_WEIGHT * ((ranking.scores[index] as number) / monthMax) +
        DAY_WEIGHT * ((dayScores[k] as number) / dayMax) +
        LEAD_WEIGHT * (1 - k / indices.length);
      const penalty = (verbatim(index) ? ROUTINE_PENALTY : 1) * (DANGLING.test(s.text) ? DANGLING_PENALTY : 1);
      return { ...s, index, week: weekOfMonth(date), relevance: salience * penalty };
    });
    scored.sort((a, b) => b.relevance - a.relevance || a.index - b.index);
    for (const c of scored.slice(0, PER_DAY)) out.push({ ...c, grams: bigrams(c.text) });
  }
  // Routines written a little differently each day: near-duplicates among the candidates of other days.
  const recurs = out.map(() => false);
  for (let i = 0; i < out.length; i++) {
    const a = (out[i] as Candidate).grams;
    for (let j = i + 1; j < out.length; j++) {
      const b = (out[j] as Candidate).grams;
      // Jaccard ≥ 0.8 needs sets of similar size: most pairs are ruled out without comparing them.
      if ((out[i] as Candidate).date === (out[j] as Candidate).date || Math.min(a.size, b.size) < NEAR_DUPLICATE * Math.max(a.size, b.size)) continue;
      if (jaccard(a, b) >= NEAR_DUPLICATE) recurs[i] = recurs[j] = true;
    }
  }
  return out.map((c, i) => (recurs[i] && !verbatim(c.index) ? { ...c, relevance: c.relevance * ROUTINE_PENALTY } : c));
}

/** The line for a candidate within `room` characters. */
function renderLine(c: Candidate, room: number): Line | undefined {
  const line = labelledLine(c.date, c.text, room, c.language);
  return line && { candidate: c, text: line.line, body: line.body };
}

/**
 * Maximal marginal relevance with two rules on top: one line per day, and days from weeks not yet
 * shown first. A line never repeats (or nearly repeats) one already chosen.
 */
function chooseLines(candidates: readonly Candidate[], ranking: Ranking, k: number, room: number): Line[] {
  const lines: Line[] = [];
  const seen = new DuplicateFilter();
  let left = room;
  for (let i = 0; i < k; i++) {
    const share = Math.floor(left / (k - i));
    const used = new Set(lines.map((l) => l.candidate.date));
    const covered = new Set(lines.map((l) => l.candidate.week));
    const open: Line[] = [];
    for (const c of candidates) {
      if (used.has(c.date)) continue;
      const line = renderLine(c, share);
      if (line && seen.accepts(line.body, line.body === c.text ? c.grams : undefined)) open.push(line);
    }
    // Weeks not yet shown come first, then a sentence shown whole rather than cut.
    const fresh = open.filter((l) => !covered.has(l.candidate.week));
    const whole = (l: Line): boolean => l.body === l.candidate.text;
    const best =
      bestOf(fresh.filter(whole), lines, ranking) ??
      bestOf(fresh, lines, ranking) ??
      bestOf(open.filter(whole), lines, ranking) ??
      bestOf(open, lines, ranking);
    if (!best) break;
    lines.push(best);
    seen.add(best.body);
    left -= charLength(best.text);
  }
  return lines;
}

function bestOf(pool: readonly Line[], chosen: readonly Line[], ranking: Ranking): Line | undefined {
  let best: Line | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const line of pool) {
    const c = line.candidate;
    const redundancy = Math.max(0, ...chosen.map((l) => ranking.similarity(c.index, l.candidate.index)));
    // Of sentences that must be cut, the ones that lose least.
    const kept = Math.sqrt(charLength(line.body) / charLength(c.text));
    const score = LAMBDA * c.relevance * kept - (1 - LAMBDA) * redundancy;
    if (score > bestScore) {
      best = line;
      bestScore = score;
    }
  }
  return best;
}

/** The month's recurring themes: terms found on the most days, then most often, then earliest. */
function themes(entries: readonly SummaryEntry[], language: Language): string[] {
  const stats = new Map<string, { days: number; count: number; first: number; display: string }>();
  let pos = 0;
  for (const e of entries) {
    const seen = new Set<string>();
    for (const term of keyTerms(e.text, language)) {
      const t = stem(term.toLowerCase()); // "message" and "messages" are one theme
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
