// The W3C Trace Context `traceparent` a job message may carry (its optional `traceparent` field):
// written by the publisher, read by the subscriber. Anything that is not a valid traceparent is
// ignored — the job runs, only without a parent — so a publisher of other tools can never make a
// message fail by this field.
import { TraceFlags, type SpanContext } from '@opentelemetry/api';

/** Longer values are not looked at (a future version may append fields, never kilobytes). */
const MAX_LENGTH = 512;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// version "-" trace-id "-" parent-id "-" flags, lowercase hex (W3C Trace Context, level 1 §3.2).
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The remote span context a traceparent names, or undefined for anything malformed. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined;
  const m = TRACEPARENT_RE.exec(value);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has exactly four fields; a later version may add fields
  // after a dash, which a version-00 reader ignores.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  // Only the sampled bit is defined; other bits are not passed on.
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The version-00 traceparent of a span context. */
export function formatTraceparent(span: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & TraceFlags.SAMPLED) === 0 ? '00' : '01'}`;
}
