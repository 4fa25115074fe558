// The wire format of ADR-0004 (never break it): types, the one validator, and the encoder.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Messages larger than this (UTF-8 bytes) are rejected before any parsing. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Diary years outside this range are "absurd" and rejected. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

export const JOB_TYPES = ['daily_summary', 'monthly_summary'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const TRIGGERS = ['schedule', 'diary_saved', 'manual'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD within MIN_YEAR..MAX_YEAR. */
export function isCalendarDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < MIN_YEAR || y > MAX_YEAR || mo < 1 || mo > 12 || d < 1) return false;
  return d <= daysInMonth(y, mo);
}

/** Days in a month of the proleptic Gregorian calendar (any year: Date.UTC maps 0..99 to 1900..1999). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const publishedAt = z.iso.datetime({ offset: true });
const optional = {
  id: z.string().min(1).max(128).optional(),
  published_at: publishedAt.optional(),
  trigger: z.enum(TRIGGERS).optional(),
  attempt: z.number().int().min(1).max(1_000_000).optional(),
  // W3C trace context of the publish (src/traceparent.ts reads it). Any value is accepted here: a
  // malformed one is ignored by the reader, never a reason to reject the job.
  traceparent: z.unknown().optional(),
};
const userId = z.string().regex(UUID_RE, 'must be a UUID');

// Exported for the guard's test, which holds isWireMessage and parseMessage to these (zod alone).
export const dailySchema = z.looseObject({
  type: z.literal('daily_summary'),
  user_id: userId,
  date: z.string().refine(isCalendarDate, `must be a real calendar date YYYY-MM-DD in ${MIN_YEAR}..${MAX_YEAR}`),
  ...optional,
});
export const monthlySchema = z.looseObject({
  type: z.literal('monthly_summary'),
  user_id: userId,
  year: z.number().int().min(MIN_YEAR).max(MAX_YEAR),
  month: z.number().int().min(1).max(12),
  ...optional,
});

// ---- the hand-compiled guard -------------------------------------------------------------------
// zod's safeParse builds a copy and issue lists on every job; the guard below answers the common
// case (a valid message) with plain checks. It mirrors the schemas above exactly, and may only be
// stricter, never looser: parseMessage asks zod whenever the guard says no (test/messages-guard.test.ts
// checks both agree). zod reads each field as input[key], so an absent key and an own undefined are
// the same to it, and inherited properties count: plain property reads mirror that.

// The datetime schema's own pattern (zod sets it on construction), so the guard cannot drift from it.
const PUBLISHED_AT_RE: RegExp | undefined = publishedAt._zod.def.pattern;
function isPublishedAt(s: string): boolean {
  if (!PUBLISHED_AT_RE) return publishedAt.safeParse(s).success; // a zod without the pattern: ask it
  PUBLISHED_AT_RE.lastIndex = 0; // as zod does, in case the pattern is ever global or sticky
  return PUBLISHED_AT_RE.test(s);
}
const TRIGGER_SET: ReadonlySet<unknown> = new Set(TRIGGERS);

// z.number() refuses NaN and ±Infinity, .int() refuses fractions (Number.isInteger does all three);
// -0 is an integer to both and then fails every lower bound here (all are >= 1).
function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

// zod 4 measures .min/.max of a string in code points (a surrogate pair is one, a lone surrogate is
// one too), so 1..128 is checked the same way. A code point is at most 2 units: past 256 units no
// string fits, and up to 128 every non-empty one does, so only 129..256 units need counting.
function isIdLength(s: string): boolean {
  const units = s.length;
  if (units <= 128) return units >= 1;
  if (units > 256) return false;
  let count = units;
  for (let i = 0; i < units - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count <= 128;
}

/** True exactly when dailySchema or monthlySchema accepts `value` (no zod call on the way). */
export function isWireMessage(value: unknown): value is JobMessage {
  // z.looseObject's test: any non-null, non-array object (class instances and null prototypes too).
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const type = v['type'];
  if (type === 'daily_summary') {
    const date = v['date'];
    if (typeof date !== 'string' || !isCalendarDate(date)) return false;
  } else if (type === 'monthly_summary') {
    if (!isIntIn(v['year'], MIN_YEAR, MAX_YEAR) || !isIntIn(v['month'], 1, 12)) return false;
  } else {
    return false;
  }
  const userIdValue = v['user_id'];
  if (typeof userIdValue !== 'string' || !UUID_RE.test(userIdValue)) return false;
  // Optional fields: undefined (absent) passes; traceparent is z.unknown(), so it is not read at all.
  const id = v['id'];
  if (id !== undefined && (typeof id !== 'string' || !isIdLength(id))) return false;
  const at = v['published_at'];
  if (at !== undefined && (typeof at !== 'string' || !isPublishedAt(at))) return false;
  const trigger = v['trigger'];
  if (trigger !== undefined && !TRIGGER_SET.has(trigger)) return false;
  const attempt = v['attempt'];
  return attempt === undefined || isIntIn(attempt, 1, 1_000_000);
}

export type DailySummaryMessage = z.infer<typeof dailySchema>;
export type MonthlySummaryMessage = z.infer<typeof monthlySchema>;
export type JobMessage = DailySummaryMessage | MonthlySummaryMessage;

/** Why a message was rejected: a small fixed set, used as a metric label. */
export type RejectReason = 'too_large' | 'not_json' | 'not_object' | 'unknown_type' | 'invalid_field';

export type ParseResult =
  | { ok: true; message: JobMessage }
  | { ok: false; reason: RejectReason; detail: string };

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is kept (and then rejected by JSON.parse), so bytes and the same
// text given as a string always get the same verdict.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Validates one raw message. Unknown fields are kept (and ignored by handlers). */
export function parseMessage(raw: string | Uint8Array): ParseResult {
  const bytes = typeof raw === 'string' ? byteLength(raw) : raw.byteLength;
  if (bytes > MAX_MESSAGE_BYTES) {
    return { ok: false, reason: 'too_large', detail: `message is at least ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : decoder.decode(raw));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_object', detail: 'a message must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  const schema = type === 'daily_summary' ? dailySchema : type === 'monthly_summary' ? monthlySchema : undefined;
  if (!schema) {
    return { ok: false, reason: 'unknown_type', detail: `unknown type ${describe(type)}` };
  }
  // Fast path: the guard's yes is final. Its no goes to zod, which gives the detail and stays the
  // judge of every rejection (were the guard ever too strict, zod's yes below still wins).
  if (isWireMessage(value)) return { ok: true, message: value };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: 'invalid_field', detail };
  }
  // The validated object itself, not zod's copy: the copy loses an own "__proto__" field (it
  // becomes the copy's prototype instead), and unknown fields must be kept as they came.
  return { ok: true, message: value as JobMessage };
}

/** A short, never-throwing description of a bad `type` (JSON.stringify overflows on deep nesting). */
function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? '(an array)' : '(an object)';
}

// The 64 KiB check must be cheap on the hot path: a UTF-16 unit is 1 to 3 UTF-8 bytes, so only
// strings between the two bounds need an exact count (and then a lower bound is reported).
function byteLength(s: string): number {
  if (s.length * 3 <= MAX_MESSAGE_BYTES || s.length > MAX_MESSAGE_BYTES) return s.length;
  return encoder.encode(s).byteLength;
}

/** Encodes a message for the wire. */
export function toWire(message: JobMessage): string {
  return JSON.stringify(message);
}

export interface NewJobOptions {
  trigger?: Trigger;
  id?: string;
  now?: Date;
}

/** Builds a daily_summary message with a fresh id and publication time. */
export function dailyMessage(userIdValue: string, date: string, opts: NewJobOptions = {}): DailySummaryMessage {
  return {
    type: 'daily_summary',
    user_id: userIdValue,
    date,
    id: opts.id ?? randomUUID(),
    published_at: (opts.now ?? new Date()).toISOString(),
    trigger: opts.trigger ?? 'schedule',
  };
}

/** Builds a monthly_summary message with a fresh id and publication time. */
export function monthlyMessage(
  userIdValue: string,
  year: number,
  month: number,
  opts: NewJobOptions = {},
): MonthlySummaryMessage {
  return {
    type: 'monthly_summary',
    user_id: userIdValue,
    year,
    month,
    id: opts.id ?? randomUUID(),
    published_at: (opts.now ?? new Date()).toISOString(),
    trigger: opts.trigger ?? 'schedule',
  };
}

/**
 * The identity of the work a message asks for: two messages with the same key are the same job
 * (the claim in Redis and the unique keys in the database are both keyed on it).
 */
export function jobKey(message: JobMessage): string {
  return message.type === 'daily_summary'
    ? `daily:${message.user_id.toLowerCase()}:${message.date}`
    : `monthly:${message.user_id.toLowerCase()}:${message.year}-${String(message.month).padStart(2, '0')}`;
}

/** Log fields that identify a job on every line about it. */
export function jobFields(message: JobMessage): Record<string, string | number | undefined> {
  return message.type === 'daily_summary'
    ? { type: message.type, user_id: message.user_id, date: message.date, message_id: message.id, attempt: message.attempt }
    : {
        type: message.type,
        user_id: message.user_id,
        month: `${message.year}-${String(message.month).padStart(2, '0')}`,
        message_id: message.id,
        attempt: message.attempt,
      };
}

/** Jobs a user is waiting for (diary_saved, manual) go before schedule jobs waiting beside them. */
export function isUserTriggered(message: Pick<JobMessage, 'trigger'>): boolean {
  return message.trigger === 'diary_saved' || message.trigger === 'manual';
}
