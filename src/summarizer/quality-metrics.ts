// What makes a summary worth reading, as numbers: the figures of `npm run bench -- --only quality`
// and the properties the summarizer tests hold, from one definition each. (Budget use is
// char-budget.ts's budgetUse.)
import { detectLanguage } from './language.js';
import { parseDayLabel, weekOfDay, weekOfMonth, type LabelledLine } from './month-days.js';
import { isNearDuplicate } from './near-duplicate.js';
import { splitSentences } from './sentences.js';
import type { SummaryEntry } from './summarizer.js';

/** Week coverage is measured on months with entries in at least this many weeks. */
export const COVERAGE_MIN_WEEKS = 4;

/** A monthly summary's day lines ("19日: …", "Oct 19: …"), in order. */
export function dayLines(summary: string): LabelledLine[] {
  return summary.split('\n').flatMap((line) => parseDayLabel(line) ?? []);
}

/** The share of `units` that duplicate or near-duplicate another of them (0 = none). */
export function redundancy(units: readonly string[]): number {
  if (units.length === 0) return 0;
  let repeated = 0;
  units.forEach((u, i) => {
    if (units.some((v, j) => j !== i && isNearDuplicate(u, v))) repeated++;
  });
  return repeated / units.length;
}

/** Redundancy of a monthly summary: over its day lines' texts. */
export function monthlyRedundancy(summary: string): number {
  return redundancy(dayLines(summary).map((l) => l.body));
}

/** Redundancy of a daily summary: over its sentences. */
export function dailyRedundancy(summary: string): number {
  return redundancy(splitSentences(summary));
}

/** The month's weeks (days 1–7, 8–14, …) that have an entry. */
export function weeksWithEntries(entries: readonly SummaryEntry[]): Set<number> {
  return new Set(entries.filter((e) => e.text.trim() !== '').map((e) => weekOfMonth(e.date)));
}

/**
 * Weeks represented by the summary's day lines ÷ weeks with entries; undefined for a month with
 * entries in fewer than COVERAGE_MIN_WEEKS weeks (too few to spread over).
 */
export function weekCoverage(summary: string, entries: readonly SummaryEntry[]): number | undefined {
  const weeks = weeksWithEntries(entries);
  if (weeks.size < COVERAGE_MIN_WEEKS) return undefined;
  const shown = new Set(dayLines(summary).map((l) => weekOfDay(l.day)).filter((w) => weeks.has(w)));
  return shown.size / weeks.size;
}

/** The share of day lines whose label is in the language of their text (1 = all); undefined without day lines. */
export function labelConsistency(summary: string): number | undefined {
  const lines = dayLines(summary);
  if (lines.length === 0) return undefined;
  return lines.filter((l) => l.language === detectLanguage(l.body)).length / lines.length;
}
