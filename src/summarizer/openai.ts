// Summaries from any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, llama.cpp,
// LM Studio, Gemini's compatibility endpoint) over undici's HTTP client.
//
// Failure policy (DESIGN guarantee 5):
//  - transient, retried here with exponential backoff + jitter up to `maxRetries` times, then thrown
//    as TransientJobError: 408/409/425/429 (Retry-After honoured), 5xx, network errors, timeouts;
//  - permanent, thrown at once as PermanentJobError after exactly one request: 401/403 (auth),
//    404 or model_not_found (model), a content refusal (400 content policy or finish_reason
//    content_filter / message.refusal), any other 4xx, and a 200 whose body is empty or malformed.
//  - the job's own AbortSignal stops everything at once: summarize() rejects with `signal.reason`
//    (whatever the caller aborted with), never with a wrapped error, so the caller recognizes it.
// The API key is sent only in the Authorization header and is scrubbed from any text the server
// sends back before that text reaches an error message or a log line.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { isEgressRefused } from '../egress/egress-policy.js';
import { PermanentJobError, TransientJobError } from '../errors/job-errors.js';
import { redactUrl } from '../config.js';
import { AttemptError } from './attempt-error.js';
import { llmErrors, llmLatency, llmRequests, llmTokens } from '../metrics.js';
import { detectEntriesLanguage } from './language.js';
import type { ChatMessage } from './prompts.js';
import { backoffDelay, LLM_RETRY } from '../backoff.js';
import { sleep } from '../clock.js';
import type { LlmTokenGate } from '../transport/token-budget.js';
import { providerPause } from './rate-limit-headers.js';
import { httpAttemptError, parseCompletion, scrubSecrets, type Completion } from './openai-answers.js';
import { estimateCallTokens } from './token-estimate.js';
import { stagedSummary, type EndpointTraits, type ResponseFormat } from './staged-summary.js';
import { inputSize } from './map-reduce.js';
import type { BatchCall, Summarizer, SummaryInput, SummaryResult } from './summarizer.js';

export interface LlmRateLimiter {
  acquire(signal: AbortSignal): Promise<void>;
}

export interface OpenAiSummarizerOptions {
  /** e.g. https://api.openai.com/v1 or http://localhost:11434/v1; "/chat/completions" is appended. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Per request (each attempt), default 60 000. */
  timeoutMs?: number;
  /** Retries after the first attempt for transient failures, default 4. */
  maxRetries?: number;
  /** First backoff step, default 500 (then ×2 each retry, jittered, capped at 30 s). */
  baseDelayMs?: number;
  /** Above this many prompt characters the input is split and summarized in stages; default 12 000. */
  maxInputChars?: number;
  /** A Retry-After longer than this is not slept on here: the job is handed back with retryAfterMs. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Fleet-wide request budget (LLM_MAX_RPM); one token per HTTP request. */
  rateLimiter?: LlmRateLimiter;
  /** Fleet-wide token budget (LLM_MAX_TPM) and the provider's pauses shared by every subscriber. */
  tokenGate?: LlmTokenGate;
  logger?: Logger;
  /** Sampling temperature, default 0.2 (summaries should stay close to the text). */
  temperature?: number;
  /** Connections go through it (a user's own endpoint: the egress dispatcher). Redirects are never followed. */
  dispatcher?: Dispatcher;
  /** A user's own endpoint: errors name only their class (timeout, refused, HTTP status), never its body or socket text. */
  classOnlyErrors?: boolean;
  /** LLM_BATCH=on and this is the operator's endpoint and key: scheduled jobs may be batched. */
  batchable?: boolean;
}

/** Thrown inside a replayed or captured staged summary: it asked for a call a batch cannot answer. */
class NotOneCall extends Error {}

const PROVIDER = 'openai';

export class OpenAiSummarizer implements Summarizer {
  readonly provider = 'openai' as const;
  readonly model: string;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxInputChars: number;
  readonly #maxRetryAfterMs: number;
  readonly #temperature: number;
  readonly #rateLimiter: LlmRateLimiter | undefined;
  readonly #tokenGate: LlmTokenGate | undefined;
  /** Names this endpoint and key for the shared pauses without carrying the key. */
  readonly #endpointId: string;
  readonly #log: Logger | undefined;
  readonly #endpoint: EndpointTraits = { plainTextOnly: false };
  readonly #dispatcher: Dispatcher | undefined;
  readonly #classOnlyErrors: boolean;
  readonly #batchable: boolean;
  readonly #scrub = (text: string): string => scrubSecrets(text, this.#apiKey);

  constructor(options: OpenAiSummarizerOptions) {
    if (!options.baseUrl) throw new Error('openai summarizer: baseUrl is required');
    if (!options.model) throw new Error('openai summarizer: model is required');
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new Error(`openai summarizer: baseUrl is not a URL: ${redactUrl(options.baseUrl)}`);
    }
    this.#url = base.href.replace(/\/+$/, '') + '/chat/completions';
    this.model = options.model;
    this.#apiKey = options.apiKey || undefined;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#maxRetries = options.maxRetries ?? 4;
    this.#baseDelayMs = options.baseDelayMs ?? LLM_RETRY.baseMs;
    this.#maxInputChars = options.maxInputChars ?? 12_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#temperature = options.temperature ?? 0.2;
    this.#rateLimiter = options.rateLimiter;
    this.#tokenGate = options.tokenGate;
    this.#endpointId = createHash('sha256').update(`${this.#url}\u0000${this.#apiKey ?? ''}`).digest('base64url');
    this.#dispatcher = options.dispatcher;
    this.#classOnlyErrors = options.classOnlyErrors === true;
    this.#batchable = options.batchable === true;
    this.#log = options.logger?.child({ component: 'llm', provider: PROVIDER, model: options.model, url: redactUrl(this.#url) });
  }

  async summarize(input: SummaryInput, signal: AbortSignal): Promise<SummaryResult> {
    signal.throwIfAborted();
    const language = input.language ?? detectEntriesLanguage(input.entries);
    const usage = { inputTokens: 0, outputTokens: 0 };
    let reported = false;
    const complete = async (messages: ChatMessage[], responseFormat?: ResponseFormat): Promise<string> => {
      const c = await this.#complete(messages, signal, responseFormat);
      if (c.usage) {
        reported = true;
        usage.inputTokens += c.usage.inputTokens;
        usage.outputTokens += c.usage.outputTokens;
      }
      return c.text;
    };
    const options = { maxInputChars: this.#maxInputChars, endpoint: this.#endpoint, log: this.#log };
    const text = await stagedSummary(input.kind, language, input.entries, options, complete);
    return reported ? { text, model: this.model, usage } : { text, model: this.model };
  }

  // A batch request is the first call the staged summary asks for, captured instead of sent; its
  // answer goes through the same staged summary again, replayed. An input that needs map-reduce
  // stages, or an answer that needs a second call (a monthly answer that ignored the JSON schema),
  // cannot be answered by one request: the job runs live.
  async batchCall(input: SummaryInput): Promise<BatchCall | undefined> {
    if (!this.#batchable || inputSize(input.entries) > this.#maxInputChars) return undefined;
    const language = input.language ?? detectEntriesLanguage(input.entries);
    let captured: Record<string, unknown> | undefined;
    const capture = (messages: ChatMessage[], responseFormat?: ResponseFormat): Promise<string> => {
      captured = this.#body(messages, responseFormat);
      throw new NotOneCall();
    };
    const options = { maxInputChars: this.#maxInputChars, endpoint: { ...this.#endpoint }, log: undefined };
    await stagedSummary(input.kind, language, input.entries, options, capture).catch((err: unknown) => {
      if (!(err instanceof NotOneCall)) throw err;
    });
    return captured && { model: this.model, body: captured };
  }

  async fromBatchAnswer(input: SummaryInput, answer: unknown): Promise<SummaryResult> {
    const completion = parseCompletion(JSON.stringify(answer), this.#scrub);
    const language = input.language ?? detectEntriesLanguage(input.entries);
    let calls = 0;
    const replay = (): Promise<string> => {
      if (calls++ > 0) throw new NotOneCall('the answer needs another request');
      return Promise.resolve(completion.text);
    };
    // The endpoint's traits are copied: one odd answer must not switch the live calls to plain text.
    const options = { maxInputChars: this.#maxInputChars, endpoint: { ...this.#endpoint }, log: undefined };
    const text = await stagedSummary(input.kind, language, input.entries, options, replay);
    return completion.usage ? { text, model: this.model, usage: completion.usage } : { text, model: this.model };
  }

  #body(messages: ChatMessage[], responseFormat?: ResponseFormat): Record<string, unknown> {
    const format = responseFormat ? { response_format: responseFormat } : {};
    return { model: this.model, messages, temperature: this.#temperature, stream: false, ...format };
  }

  /** One completion with the retry policy applied. */
  async #complete(messages: ChatMessage[], signal: AbortSignal, responseFormat?: ResponseFormat): Promise<Completion> {
    const body = JSON.stringify(this.#body(messages, responseFormat));
    const estimate = this.#tokenGate ? estimateCallTokens(messages) : 0;
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      // The token budget first: a call that waits for tokens takes no request slot meanwhile.
      const reservation = this.#tokenGate ? await this.#tokenGate.acquire(this.#endpointId, estimate, signal) : undefined;
      if (this.#rateLimiter) await this.#rateLimiter.acquire(signal);
      try {
        const completion = await this.#request(body, signal);
        // No usage reported: the estimate stands.
        await reservation?.settle(completion.usage ? completion.usage.inputTokens + completion.usage.outputTokens : undefined);
        return completion;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (!(err instanceof AttemptError)) throw err;
        llmErrors.inc({ provider: PROVIDER, class: err.errorClass });
        if (err.permanent) {
          this.#log?.warn({ class: err.errorClass, err: err.message }, 'LLM request failed permanently');
          throw new PermanentJobError(`LLM ${err.errorClass}: ${err.shown(this.#classOnlyErrors)}`);
        }
        const exhausted = attempt >= this.#maxRetries;
        // A pause shared with the fleet is waited out in the token gate, holding no connection,
        // however long it is (within JOB_TIMEOUT); the job keeps its claim and lease meanwhile.
        const shared = err.sharedPauseMs !== undefined;
        const tooLong = !shared && err.retryAfterMs !== undefined && err.retryAfterMs > this.#maxRetryAfterMs;
        if (exhausted || tooLong) {
          this.#log?.warn({ class: err.errorClass, attempts: attempt + 1, retryAfterMs: err.retryAfterMs }, 'LLM request failed, handing the job back');
          const why = exhausted ? `after ${attempt + 1} attempts` : `server asks to wait ${err.retryAfterMs} ms`;
          throw new TransientJobError(`LLM ${err.errorClass} ${why}: ${err.shown(this.#classOnlyErrors)}`, {
            ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
            ...(err.errorClass === 'network' ? { cause: err.cause } : {}),
          });
        }
        // Retry-After is a floor: wait at least that long, plus a little jitter against lockstep.
        const delay = shared
          ? Math.floor(Math.random() * 250)
          : err.retryAfterMs !== undefined
            ? err.retryAfterMs + Math.floor(Math.random() * Math.min(250, err.retryAfterMs / 10 + 1))
            : backoffDelay(attempt, { ...LLM_RETRY, baseMs: this.#baseDelayMs });
        this.#log?.warn({ class: err.errorClass, attempt: attempt + 1, delayMs: delay, err: err.message }, 'LLM request failed, retrying');
        await sleep(delay, signal);
      }
    }
  }

  /** Exactly one HTTP request, under its own timeout and the job's signal. */
  async #request(body: string, signal: AbortSignal): Promise<Completion> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, this.#timeoutMs);
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    const started = performance.now();
    let status = 0;
    let retryAfter: string | null = null;
    let pauseMs: number | undefined;
    let raw: string;
    try {
      // undici's request, not fetch: the same HTTP client without WHATWG streams costs a third of
      // the CPU per call, which counts at hundreds of jobs per second.
      const res = await request(this.#url, { method: 'POST', headers, body, signal: controller.signal, dispatcher: this.#dispatcher });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = (Array.isArray(ra) ? ra[0] : ra) ?? null;
      if (this.#tokenGate) pauseMs = providerPause(status, res.headers);
      raw = await res.body.text();
    } catch (cause) {
      llmRequests.inc({ provider: PROVIDER, outcome: 'error' });
      llmLatency.observe({ provider: PROVIDER }, (performance.now() - started) / 1000);
      if (signal.aborted) throw signal.reason;
      if (timedOut) throw new AttemptError(`no answer within ${this.#timeoutMs} ms`, 'timeout', false);
      const refusal = [cause, cause instanceof Error ? cause.cause : undefined].find(isEgressRefused);
      if (refusal) throw new AttemptError(`refused by the egress policy: ${refusal.message}`, 'egress', true);
      const detail = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : 'request failed';
      throw new AttemptError(`network error: ${this.#scrub(detail)}`, 'network', false, undefined, { cause });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    llmLatency.observe({ provider: PROVIDER }, (performance.now() - started) / 1000);
    if (pauseMs !== undefined && this.#tokenGate) {
      this.#log?.warn({ status, pause_ms: pauseMs }, 'the provider asks to wait; every subscriber pauses its calls to this endpoint');
      await this.#tokenGate.pause(this.#endpointId, pauseMs);
    }
    const ok = status >= 200 && status < 300;
    llmRequests.inc({ provider: PROVIDER, outcome: ok ? 'ok' : 'error' });
    if (!ok) throw Object.assign(httpAttemptError(status, raw, retryAfter, this.#scrub), { status, ...(pauseMs !== undefined ? { sharedPauseMs: pauseMs } : {}) });
    const completion = parseCompletion(raw, this.#scrub);
    if (completion.usage) {
      llmTokens.inc({ provider: PROVIDER, kind: 'input' }, completion.usage.inputTokens);
      llmTokens.inc({ provider: PROVIDER, kind: 'output' }, completion.usage.outputTokens);
    }
    this.#log?.debug({ status, ms: Math.round(performance.now() - started), usage: completion.usage }, 'LLM request done');
    return completion;
  }
}
