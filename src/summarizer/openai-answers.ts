// Reading an OpenAI-compatible answer: the completion of a 2xx, the classified error of anything
// else, and the scrubbing of secrets from whatever text the server sent back.
import { redactUrl } from '../config.js';
import { AttemptError } from './attempt-error.js';
import { parseRetryAfter } from './retry-after.js';

export interface Completion {
  text: string;
  usage?: { inputTokens: number; outputTokens: number };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes the API key (and anything that looks like a bearer token or OpenAI key) from server text. */
export function scrubSecrets(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('***');
  return redactUrl(out.replace(/Bearer\s+\S+/gi, 'Bearer ***').replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, 'sk-***'));
}

/** A non-2xx answer as the attempt's error: transient or permanent, with its class. */
export function httpAttemptError(status: number, raw: string, retryAfter: string | null, scrub: (text: string) => string): AttemptError {
  let code = '';
  let message = '';
  try {
    const parsed: unknown = JSON.parse(raw);
    const e = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : isRecord(parsed) ? parsed : {};
    code = [e.code, e.type, e.status].filter((v) => typeof v === 'string').join(' ');
    message = typeof e.message === 'string' ? e.message : '';
  } catch {
    message = raw.slice(0, 200);
  }
  const detail = scrub(`HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message.slice(0, 300)}` : ''}`);
  if (status === 429 || status === 408 || status === 409 || status === 425) {
    return new AttemptError(detail, status === 429 ? 'rate_limited' : 'server', false, parseRetryAfter(retryAfter));
  }
  if (status >= 500) return new AttemptError(detail, 'server', false, parseRetryAfter(retryAfter));
  if (status === 401 || status === 403) return new AttemptError(detail, 'auth', true);
  if (status === 404 || /model_not_found|model.*(not (be )?found|does not exist)/i.test(`${code} ${message}`)) {
    return new AttemptError(detail, 'model', true);
  }
  if (/content[_ ]?(filter|policy|management)|safety|flagged|refus/i.test(`${code} ${message}`)) {
    return new AttemptError(detail, 'refused', true);
  }
  return new AttemptError(detail, 'bad_response', true);
}

/** A 2xx answer's completion; a body without usable text is a permanent error. */
export function parseCompletion(raw: string, scrub: (text: string) => string): Completion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AttemptError('response is not JSON', 'bad_response', true);
  }
  const choice = isRecord(parsed) && Array.isArray(parsed.choices) ? parsed.choices[0] : undefined;
  if (!isRecord(choice)) throw new AttemptError('response has no choices', 'bad_response', true);
  const message = isRecord(choice.message) ? choice.message : {};
  if (choice.finish_reason === 'content_filter') throw new AttemptError('the provider filtered the content (finish_reason content_filter)', 'refused', true);
  if (typeof message.refusal === 'string' && message.refusal.trim() !== '') {
    throw new AttemptError(`the model refused: ${scrub(message.refusal.slice(0, 200))}`, 'refused', true);
  }
  // Reasoning models served by Ollama & co. put their thinking in <think> … </think>: not summary.
  const content = typeof message.content === 'string' ? message.content.replace(/<think>[\s\S]*?<\/think>/g, '').trim() : '';
  if (content === '') throw new AttemptError('response has no text', 'bad_response', true);
  const u = isRecord(parsed) && isRecord(parsed.usage) ? parsed.usage : undefined;
  const inputTokens = u && typeof u.prompt_tokens === 'number' ? u.prompt_tokens : undefined;
  const outputTokens = u && typeof u.completion_tokens === 'number' ? u.completion_tokens : undefined;
  return inputTokens !== undefined && outputTokens !== undefined ? { text: content, usage: { inputTokens, outputTokens } } : { text: content };
}
