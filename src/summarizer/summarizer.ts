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

/** One request of a provider batch: the Chat Completions body a live call would send. */
export interface BatchCall {
  model: string;
  body: Record<string, unknown>;
}

export interface Summarizer {
  readonly provider: LlmProvider;
  summarize(input: SummaryInput, signal: AbortSignal): Promise<SummaryResult>;
  /**
   * LLM_BATCH: the one request that summarizes `input`, when this summarizer's jobs may go through
   * the provider's Batch API (the operator's endpoint and key, an input that fits one request);
   * undefined otherwise (the job runs live).
   */
  batchCall?(input: SummaryInput): Promise<BatchCall | undefined>;
  /** The summary from a batch's answer to batchCall's body; throws when it cannot be used (the job then runs live). */
  fromBatchAnswer?(input: SummaryInput, answer: unknown): Promise<SummaryResult>;
}
