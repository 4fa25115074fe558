// The built-in, offline, deterministic summarizer (LLM_PROVIDER=extractive): it picks the input's
// most central sentences and never writes words of its own, except the monthly theme line.
import { extractDaily } from './daily-extract.js';
import { detectEntriesLanguage } from './language.js';
import { extractMonthly } from './monthly-extract.js';
import { MONTHLY_MAX_CHARS } from './prompts.js';
import type { Language, Summarizer, SummaryInput, SummaryResult } from './summarizer.js';

export const EXTRACTIVE_MODEL = 'extractive-v1';

export interface ExtractiveOptions {
  /** Daily summary budget in characters (code points), per language: each sentence counts against
   *  the budget of its own language. @defaultValue 200 for Japanese, 400 for English */
  dailyMaxChars?: Partial<Record<Language, number>>;
  /** Monthly summary budget in characters. @defaultValue 300 (MONTHLY_MAX_CHARS, as the LLM is asked) */
  monthlyMaxChars?: number;
}

const DEFAULT_DAILY: Record<Language, number> = { ja: 200, en: 400 };

export class ExtractiveSummarizer implements Summarizer {
  readonly provider = 'extractive' as const;
  readonly #daily: Record<Language, number>;
  readonly #monthly: number;

  constructor(options: ExtractiveOptions = {}) {
    this.#daily = { ...DEFAULT_DAILY, ...options.dailyMaxChars };
    this.#monthly = options.monthlyMaxChars ?? MONTHLY_MAX_CHARS;
  }

  /** Synchronous work behind a promise; an already-aborted signal rejects with its reason. */
  summarize(input: SummaryInput, signal: AbortSignal): Promise<SummaryResult> {
    try {
      signal.throwIfAborted();
      const text =
        input.kind === 'daily'
          ? extractDaily(input.entries.map((e) => e.text).join('\n\n'), this.#daily).text
          : extractMonthly(input.entries, input.language ?? detectEntriesLanguage(input.entries), this.#monthly);
      return Promise.resolve({ text, model: EXTRACTIVE_MODEL });
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
