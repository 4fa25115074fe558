// A summary's length budget in characters, one per language: Japanese says in 200 characters what
// English says in 400, so a mixed-language text spends each sentence against its own language's budget.
import { detectLanguage } from './language.js';
import { charLength, splitSentences } from './sentences.js';
import type { Language } from './summarizer.js';

/** One budget for every language, or one each. */
export type CharBudget = number | Readonly<Record<Language, number>>;

/** Float slack for sums of fractions like 37/200 + 81/400 that are exactly 1. */
const EPSILON = 1e-9;

export function budgetFor(budget: CharBudget, language: Language): number {
  return typeof budget === 'number' ? budget : budget[language];
}

function smallest(budget: CharBudget): number {
  return typeof budget === 'number' ? budget : Math.min(budget.ja, budget.en);
}

/** The share of the budget one sentence uses (1 = all of it). */
export function sentenceCost(sentence: string, language: Language, budget: CharBudget): number {
  const b = budgetFor(budget, language);
  return b > 0 ? charLength(sentence) / b : Number.POSITIVE_INFINITY;
}

/** Separators (spaces between sentences) are charged to the smallest budget, the strict reading. */
export function separatorCost(budget: CharBudget): number {
  const b = smallest(budget);
  return b > 0 ? 1 / b : Number.POSITIVE_INFINITY;
}

/** Output ÷ budget for a whole text: each sentence against its own language's budget. Goal ≤ 1. */
export function budgetUse(text: string, budget: CharBudget): number {
  const sentences = splitSentences(text);
  let use = 0;
  let inSentences = 0;
  for (const s of sentences) {
    use += sentenceCost(s, detectLanguage(s), budget);
    inSentences += charLength(s);
  }
  return use + (charLength(text) - inSentences) * separatorCost(budget);
}

export function withinBudget(use: number): boolean {
  return use <= 1 + EPSILON;
}
