// How a summary is asked of a Chat Completions endpoint: one request when the input fits, map-reduce
// stages otherwise; the final monthly request asks for structured output and renders it, falling back
// to the plain-text prompt on an endpoint that refuses it (remembered, so later calls go straight to
// plain text); every final answer is cleaned before it is stored.
import type { Logger } from 'pino';
import { PermanentJobError } from '../errors/job-errors.js';
import { chunkEntries, inputSize } from './map-reduce.js';
import { cleanAnswer } from './plain-answer.js';
import { buildMessages, buildStructuredMonthlyMessages, MONTHLY_MAX_CHARS, type ChatMessage, type PromptStage } from './prompts.js';
import { MONTHLY_RESPONSE_FORMAT, parsePlainAnswer, parseStructuredAnswer, renderMonthlyAnswer } from './structured-summary.js';
import type { Language, SummaryEntry, SummaryKind } from './summarizer.js';

/** The `response_format` of a request, as sent. */
export type ResponseFormat = typeof MONTHLY_RESPONSE_FORMAT;

/** One completion (with its retries): the answer's text. */
export type Complete = (messages: ChatMessage[], responseFormat?: ResponseFormat) => Promise<string>;

/** What a summarizer has learnt about its endpoint; one per summarizer, shared by its calls. */
export interface EndpointTraits {
  /** Set once the endpoint refused `response_format` or answered it with something else. */
  plainTextOnly: boolean;
}

export interface StagedSummaryOptions {
  /** Above this many prompt characters the input is split and summarized in stages. */
  maxInputChars: number;
  endpoint: EndpointTraits;
  log?: Logger | undefined;
}

/** Map-reduce depth limit: beyond it the input cannot be summarized, which is said, not hidden. */
const MAX_STAGES = 4;

/**
 * A 400 (or 422) that names response_format / json_schema: the endpoint does not do structured
 * output. The server's message reaches us inside the PermanentJobError the request path throws.
 */
function refusesFormat(err: unknown): boolean {
  return err instanceof PermanentJobError && /\bHTTP 4(?:00|22)\b/.test(err.message) && /response_format|json_schema|structured output/i.test(err.message);
}

export async function stagedSummary(
  kind: SummaryKind,
  language: Language,
  entries: readonly SummaryEntry[],
  options: StagedSummaryOptions,
  complete: Complete,
): Promise<string> {
  return staged(kind, language, entries, false, 0, options, complete);
}

/** One request when the input fits; otherwise summarize chunks (map), then their summaries (reduce). */
async function staged(
  kind: SummaryKind,
  language: Language,
  entries: readonly SummaryEntry[],
  fromParts: boolean,
  depth: number,
  options: StagedSummaryOptions,
  complete: Complete,
): Promise<string> {
  if (inputSize(entries) <= options.maxInputChars) return final(kind, language, entries, fromParts, options, complete);
  if (depth >= MAX_STAGES) {
    throw new PermanentJobError(`input still exceeds ${options.maxInputChars} characters after ${MAX_STAGES} summarizing stages`);
  }
  const chunks = chunkEntries(entries, options.maxInputChars);
  options.log?.info({ kind, stage: depth + 1, parts: chunks.length }, 'input too long for one request: summarizing in parts');
  const partials: SummaryEntry[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const stage: PromptStage = { stage: 'map', part: i + 1, parts: chunks.length };
    const text = await complete(buildMessages(kind, language, chunk, stage));
    partials.push({ date: (chunk[0] as SummaryEntry).date, text, isSummary: true });
  }
  return staged(kind, language, partials, true, depth + 1, options, complete);
}

async function final(
  kind: SummaryKind,
  language: Language,
  entries: readonly SummaryEntry[],
  fromParts: boolean,
  options: StagedSummaryOptions,
  complete: Complete,
): Promise<string> {
  if (kind === 'monthly' && !options.endpoint.plainTextOnly) {
    const structured = await structuredMonthly(language, entries, fromParts, options, complete);
    if (structured !== undefined) return structured;
  }
  const answer = cleanAnswer(await complete(buildMessages(kind, language, entries, { stage: 'final', fromParts })), kind, language);
  if (kind === 'daily') return answer;
  return renderMonthlyAnswer(parsePlainAnswer(answer), entries, MONTHLY_MAX_CHARS) ?? answer;
}

/** The structured monthly summary, or undefined (and remembered) when the endpoint does not do it. */
async function structuredMonthly(
  language: Language,
  entries: readonly SummaryEntry[],
  fromParts: boolean,
  options: StagedSummaryOptions,
  complete: Complete,
): Promise<string | undefined> {
  let content: string;
  try {
    content = await complete(buildStructuredMonthlyMessages(language, entries, fromParts), MONTHLY_RESPONSE_FORMAT);
  } catch (err) {
    if (!refusesFormat(err)) throw err;
    options.endpoint.plainTextOnly = true;
    options.log?.info({ err: (err as Error).message }, 'the endpoint refuses structured output: plain-text prompts from now on');
    return undefined;
  }
  const answer = parseStructuredAnswer(content);
  const text = answer && renderMonthlyAnswer(answer, entries, MONTHLY_MAX_CHARS);
  if (text !== undefined) return text;
  options.endpoint.plainTextOnly = true;
  options.log?.info({ answerChars: content.length }, 'the endpoint ignored the JSON schema asked for: plain-text prompts from now on');
  return undefined;
}
