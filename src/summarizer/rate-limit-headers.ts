// A provider's rate-limit answer as one pause for the whole fleet: Retry-After (and OpenAI's and
// Azure's retry-after-ms) on a 429 or 503, or x-ratelimit-remaining-{requests,tokens} = 0 together
// with its x-ratelimit-reset-*. What cannot be parsed is "unknown", never "zero": Azure has been
// seen sending -1, and 0 with no reset, neither of which says when calls may go again.
import { parseRetryAfter } from './retry-after.js';

export type HeaderValue = string | string[] | undefined;
export type ResponseHeaders = Record<string, HeaderValue>;

/** A pause this long or longer is taken as a bad value and capped: an hour, then look again. */
export const MAX_PAUSE_MS = 3_600_000;

function first(v: HeaderValue): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** x-ratelimit-remaining-*: a whole number ≥ 0, else undefined (unknown). */
export function parseRemaining(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * x-ratelimit-reset-*, as ms from `now`: OpenAI's durations ("20ms", "1s", "6m0s", "1h2m3.5s"),
 * plain seconds ("1.5"), Unix epoch seconds, or a date (RFC 3339 or HTTP-date). undefined when
 * unparseable, zero or in the past.
 */
export function parseReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    // Epoch seconds rather than a delay: nobody resets a minute's limit in 30 years.
    ms = n > 1e9 ? n * 1000 - now : n * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(v)) {
    ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  } else if (/\d{4}-\d{2}-\d{2}|[a-z]{3},/.test(v)) {
    const at = Date.parse(value.trim());
    if (!Number.isNaN(at)) ms = at - now;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.ceil(ms);
}

/**
 * How long every caller of this endpoint and key should wait after this answer, or undefined
 * when the answer says nothing certain. Capped at MAX_PAUSE_MS.
 */
export function providerPause(status: number, headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const candidates: number[] = [];
  if (status === 429 || status === 503) {
    const retryMs = first(headers['retry-after-ms']);
    const ms = retryMs !== undefined && /^\d+(\.\d+)?$/.test(retryMs.trim()) ? Math.ceil(Number(retryMs)) : undefined;
    const ra = ms ?? parseRetryAfter(first(headers['retry-after']) ?? null, now);
    if (ra !== undefined && ra > 0) candidates.push(ra);
  }
  for (const kind of ['requests', 'tokens']) {
    const remaining = parseRemaining(first(headers[`x-ratelimit-remaining-${kind}`]));
    if (remaining !== 0) continue;
    const reset = parseReset(first(headers[`x-ratelimit-reset-${kind}`]), now);
    if (reset !== undefined) candidates.push(reset);
  }
  if (candidates.length === 0) return undefined;
  return Math.min(MAX_PAUSE_MS, Math.max(...candidates));
}
