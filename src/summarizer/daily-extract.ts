// The extractive daily summary: a day's most central sentences, in the diary's order, no two of
// them near-duplicates, within a budget that each sentence spends in its own language.
import { budgetFor, budgetUse, sentenceCost, withinBudget, type CharBudget } from './char-budget.js';
import { detectLanguage } from './language.js';
import { DuplicateFilter } from './near-duplicate.js';
import { orderByScore, rankSentences } from './rank.js';
import { joinSentences, splitSentences, truncate } from './sentences.js';
import type { Language } from './summarizer.js';
import { tokenize } from './tokenize.js';

/** More than this many sentences reads as a retelling, not a summary. */
const MAX_DAILY_SENTENCES = 5;
/** A paragraph's first sentence usually says what the paragraph is about ("Release day."): worth this much more. */
const LEAD_BONUS = 0.5;

/** Which sentences open the text or a paragraph (after a blank line). */
function paragraphLeads(text: string, sentences: readonly string[]): boolean[] {
  let at = 0;
  return sentences.map((s) => {
    const found = text.indexOf(s, at);
    const before = text.slice(at, found);
    const lead = at === 0 ? text.slice(0, found).trim() === '' : /\n[^\S\n]*\n/.test(before);
    at = found + s.length;
    return lead;
  });
}

export interface DailyExtract {
  /** The chosen sentences in their original order; each is a slice of the input, except that
   *  a lone sentence longer than the whole budget is cut and ends with "…". */
  sentences: string[];
  text: string;
}

/**
 * The best sentences of `text` within `budget` (a number: characters; a record: characters per
 * language, each sentence counted against its own), in their original order. Each sentence is
 * tokenized and budgeted in its own language, so a mixed-language diary needs no single one.
 */
export function extractDaily(text: string, budget: CharBudget): DailyExtract {
  const sentences = splitSentences(text);
  if (sentences.length === 0 || Math.min(budgetFor(budget, 'ja'), budgetFor(budget, 'en')) <= 0) return { sentences: [], text: '' };
  const languages = sentences.map((s) => detectLanguage(s));
  const leads = paragraphLeads(text, sentences);
  const scores = rankSentences(sentences.map((s, i) => tokenize(s, languages[i] as Language))).map((c, i) => (leads[i] ? c * (1 + LEAD_BONUS) : c));
  const chosen: number[] = [];
  let used = 0;
  const seen = new DuplicateFilter();
  // Past the first two, only sentences more central than average: filler would only dilute.
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  for (const i of orderByScore(scores)) {
    if (chosen.length >= 2 && (scores[i] as number) < mean) break;
    const s = sentences[i] as string;
    // Sentence by sentence first (cheap), then measured on the text as it would be stored, the
    // way budgetUse reads it back (joining can merge sentences that had no closing punctuation).
    // (Separators are left out of the first count: Japanese joins without them.)
    const cost = sentenceCost(s, languages[i] as Language, budget);
    if (!withinBudget(used + cost) || !seen.accepts(s)) continue;
    const trial = [...chosen, i].sort((a, b) => a - b);
    if (!withinBudget(budgetUse(joinSentences(trial.map((k) => sentences[k] as string)), budget))) continue;
    chosen.push(i);
    used += cost;
    seen.add(s);
    if (chosen.length >= MAX_DAILY_SENTENCES) break;
  }
  if (chosen.length === 0) {
    // Every sentence is longer than the budget: cut the best one, visibly.
    const best = orderByScore(scores)[0] as number;
    const lang = languages[best] as Language;
    let max = budgetFor(budget, lang);
    let cut = truncate(sentences[best] as string, max, lang);
    // A cut can read as the other language (its Japanese tail cut off): shorten until it fits.
    while (cut !== '' && !withinBudget(budgetUse(cut, budget))) cut = truncate(sentences[best] as string, --max, lang);
    return cut === '' ? { sentences: [], text: '' } : { sentences: [cut], text: cut };
  }
  chosen.sort((a, b) => a - b);
  const picked = chosen.map((i) => sentences[i] as string);
  return { sentences: picked, text: joinSentences(picked) };
}
