// The one summarization interface the subscriber's handlers use; providers plug in behind it.
import type { LlmProvider } from '../config.js';

export type SummaryKind = 'daily' | 'monthly';
export type Language = 'ja' | 'en';

export interface SummaryEntry {
  /** YYYY-MM-DD */
  date: string;
  text: string;
  /** true when text is that day's daily summary rather than raw diary */
  isSummary?: boolean;
}

export interface SummaryInput {
  kind: SummaryKind;
  entries: SummaryEntry[];
  /** detected from the entries when absent */
  language?: Language;
}

export interface SummaryResult {
  text: string;
  model: string;
  usage?: { inputTokens: number; outputTokens: number };
}

export interface Summarizer {
  readonly provider: LlmProvider;
  summarize(input: SummaryInput, signal: AbortSignal): Promise<SummaryResult>;
}
