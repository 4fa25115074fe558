// The spans of a job's trace — diary save → publish → the subscriber's run (claim, summarize with
// its LLM calls, store) — written through @opentelemetry/api only. Until src/tracing.ts registers
// the SDK (OTEL_EXPORTER_OTLP_ENDPOINT set) no tracer provider is registered, and every helper
// here asks the API so and goes straight to the work: no span object, no context, no extra
// promise (the no-op tracer's spans measurably cost a no-op job's hot path), and messages go out
// exactly as before, without a traceparent. Attributes name jobs and count tokens; they never
// carry diary or summary text, prompts, keys or URLs.
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { JobMessage } from './messages.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

const tracer = trace.getTracer('diary-events');

export { SpanKind };

/** What the API's global provider delegates to while no SDK is registered (a provider of its own makes the same). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The one span every helper hands out while traces are off: it records nothing. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** True once a tracer provider (the SDK) is registered with the API. */
export function tracingOn(): boolean {
  // The API's global is always its ProxyTracerProvider, whose delegate is the registered provider.
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegate() !== NOOP_PROVIDER : true;
}

/** What identifies a job on its spans (as jobFields does on log lines), never its content. */
function jobAttributes(message: JobMessage): Attributes {
  const when = message.type === 'daily_summary' ? { 'diary.date': message.date } : { 'diary.month': `${message.year}-${String(message.month).padStart(2, '0')}` };
  return {
    'diary.job.type': message.type,
    'diary.user_id': message.user_id,
    ...when,
    ...(message.trigger ? { 'diary.job.trigger': message.trigger } : {}),
    ...(message.id ? { 'messaging.message.id': message.id } : {}),
    'messaging.system': 'redis',
  };
}

/** Marks a span failed with the error's class (an LLM error's own, else its name) and its message, scrubbed as the logs have it. */
export function failSpan(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const e = err instanceof Error ? err : new Error(String(err));
  const cls = (e as { errorClass?: unknown }).errorClass;
  span.setAttribute('error.type', typeof cls === 'string' ? cls : e.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message.slice(0, 300) });
}

/**
 * Publishes `message` inside a producer span, child of the active span (a diary save) or, given
 * `tick`, the root of a trace of its own linked to that scheduler tick: one tick publishes
 * thousands of jobs, and each job's trace is its own. With the SDK on, the message carries the
 * span's traceparent; with it off the message is published unchanged.
 */
export function publishTraced(publish: (m: JobMessage) => Promise<void>, message: JobMessage, tick?: SpanContext): Promise<void> {
  return tracingOn() ? publishInSpan(publish, message, tick) : publish(message);
}

async function publishInSpan(publish: (m: JobMessage) => Promise<void>, message: JobMessage, tick?: SpanContext): Promise<void> {
  const options = tick && isSpanContextValid(tick) ? { kind: SpanKind.PRODUCER, root: true, links: [{ context: tick }] } : { kind: SpanKind.PRODUCER };
  const span = tracer.startSpan(`publish ${message.type}`, options);
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) {
    span.end();
    return publish(message);
  }
  if (span.isRecording()) span.setAttributes({ ...jobAttributes(message), 'messaging.operation.type': 'send' });
  try {
    await publish({ ...message, traceparent: formatTraceparent(ctx) });
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The context of a remote parent a traceparent names; the root context when it is missing or malformed. */
export function remoteParent(traceparent: unknown): Context {
  const remote = parseTraceparent(traceparent);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

export interface JobSpan {
  span: Span;
  /** The context the job's own spans start in (`startSpan`'s parent, `withContext`). */
  context: Context;
}

const NO_JOB_SPAN: JobSpan = { span: NOOP_SPAN, context: ROOT_CONTEXT };

/** A subscriber's run of one delivery: a consumer span, child of the publish its traceparent names (else a trace of its own). */
export function startJobSpan(message: JobMessage, deliveryCount: number): JobSpan {
  if (!tracingOn()) return NO_JOB_SPAN;
  const parent = remoteParent(message.traceparent);
  const span = tracer.startSpan(`process ${message.type}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    span.setAttributes({ ...jobAttributes(message), 'messaging.operation.type': 'process', 'messaging.message.delivery_count': deliveryCount });
  }
  return { span, context: trace.setSpan(parent, span) };
}

/**
 * Runs one delivery (`run`) in its job span, which records how the delivery was settled and is
 * ended when it is. With traces off, `run` is called as it is.
 */
export function inJobSpan<T extends { kind: string }>(message: JobMessage, deliveryCount: number, run: (job: JobSpan) => Promise<T>): Promise<T> {
  if (!tracingOn()) return run(NO_JOB_SPAN);
  return (async () => {
    const job = startJobSpan(message, deliveryCount);
    try {
      const settled = await run(job);
      job.span.setAttribute('diary.job.settlement', settled.kind);
      return settled;
    } catch (err) {
      failSpan(job.span, err);
      throw err;
    } finally {
      job.span.end();
    }
  })();
}

/** A span the caller ends, child of `parent`: for a step too hot for inSpan's extra promise. */
export function startSpan(name: string, parent: Context): Span {
  return tracingOn() ? tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent) : NOOP_SPAN;
}

/** Runs `fn` in a span, child of the active one (or of `parent`), ended when `fn` settles; a throw marks it failed. */
export function inSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context } = {},
): Promise<T> {
  return tracingOn() ? runInSpan(name, fn, options) : fn(NOOP_SPAN);
}

async function runInSpan<T>(name: string, fn: (span: Span) => Promise<T>, options: { kind?: SpanKind; attributes?: Attributes; parent?: Context }): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL }, parent);
  if (options.attributes && span.isRecording()) span.setAttributes(options.attributes);
  try {
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `fn` with `ctx` active (a job's span, for the spans its handler starts). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return tracingOn() ? context.with(ctx, fn) : fn();
}
