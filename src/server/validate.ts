// Request checks shared by the services; each failure is an InvalidArgument naming the field.
import { Code, ConnectError } from '@connectrpc/connect';
import { isValidTimezone } from '../config.js';
import { isCalendarDate, MAX_YEAR, MIN_YEAR } from '../messages.js';

/** Longest diary accepted, in characters (code points). */
export const MAX_CONTENT_CHARS = 100_000;

export function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function requireDate(value: string, field = 'date'): string {
  if (!isCalendarDate(value)) throw invalid(`${field} must be a real calendar date YYYY-MM-DD between ${MIN_YEAR} and ${MAX_YEAR}, got ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

export function requireMonth(year: number, month: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) throw invalid(`year must be between ${MIN_YEAR} and ${MAX_YEAR}`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw invalid('month must be between 1 and 12');
}

/** "YYYY-MM" → [year, month]. */
export function parseMonth(value: string): [number, number] {
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  if (!m) throw invalid(`month must be written YYYY-MM, got ${JSON.stringify(value.slice(0, 40))}`);
  const [year, month] = [Number(m[1]), Number(m[2])];
  requireMonth(year, month);
  return [year, month];
}

/** Counts code points (as SUMMARY_MIN_CHARS does), cheaply refusing what is too long in any count. */
export function requireContent(content: string): number {
  const tooLong = () =>
    invalid(`content is too long: the limit is ${MAX_CONTENT_CHARS.toLocaleString('en-US')} characters`);
  if (content.length > MAX_CONTENT_CHARS * 2) throw tooLong();
  let chars = 0;
  for (const _ of content) chars++;
  if (chars > MAX_CONTENT_CHARS) throw tooLong();
  // PostgreSQL text cannot hold NUL.
  if (content.includes('\u0000')) throw invalid('content must not contain NUL characters');
  return chars;
}

export function requireTimezone(tz: string): string {
  if (tz.length > 100 || !isValidTimezone(tz)) throw invalid(`timezone must be an IANA time zone name such as Asia/Tokyo, got ${JSON.stringify(tz.slice(0, 40))}`);
  return tz;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** C0 and C1 control characters (NUL included: PostgreSQL text cannot hold it). */
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** Trimmed single-line text of at most `max` characters; null when empty. */
export function plainText(value: string, field: string, max: number): string | null {
  const v = value.trim();
  if (CONTROL_RE.test(v)) throw invalid(`${field} must not contain control characters`);
  if (v.length > max) throw invalid(`${field} is too long (at most ${max} characters)`);
  return v === '' ? null : v;
}

/** Lower-cased and trimmed: emails are unique case-insensitively. */
export function normalizeEmail(email: string): string {
  const e = plainText(email, 'email', 254)?.toLowerCase() ?? '';
  if (!EMAIL_RE.test(e)) throw invalid('email must be an email address');
  return e;
}
