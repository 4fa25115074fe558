// The spans of a job's trace with the SDK registered in this process (an in-memory exporter): a
// save's publish is its child and hands its context on in the message; the subscriber's run is a
// child of that publish; a scheduled job's publish starts its own trace linked to its tick; a
// malformed traceparent only loses the parent.
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { dailyMessage, type JobMessage } from '../src/messages.js';
import { inSpan, NOOP_SPAN, publishTraced, startJobSpan, tracingOn, withContext } from '../src/spans.js';
import { parseTraceparent } from '../src/traceparent.js';

const exporter = new InMemorySpanExporter();
before(() => {
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
});
beforeEach(() => exporter.reset());

const U = '123e4567-e89b-12d3-a456-426614174000';
const spans = () => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan => {
  const s = spans().find((x) => x.name === name);
  assert.ok(s, `span ${name} among ${spans().map((x) => x.name).join(', ')}`);
  return s;
};

describe('spans across a publish', () => {
  it('the helpers see the registered provider', async () => {
    assert.equal(tracingOn(), true);
    await inSpan('x', async (span) => assert.notEqual(span, NOOP_SPAN));
  });

  it("a save's publish is its child, and the subscriber's run continues the trace from the message", async () => {
    const sent: JobMessage[] = [];
    const message = dailyMessage(U, '2024-01-15', { trigger: 'diary_saved' });
    await inSpan('diary save', () => publishTraced(async (m) => void sent.push(m), message));
    const [wire] = sent;
    assert.ok(wire);
    assert.equal(message.traceparent, undefined, 'the caller’s message is not changed');
    const save = named('diary save');
    const publish = named('publish daily_summary');
    assert.equal(publish.parentSpanContext?.spanId, save.spanContext().spanId);
    assert.equal(publish.spanContext().traceId, save.spanContext().traceId);
    const { traceId, spanId } = publish.spanContext();
    assert.deepEqual(parseTraceparent(wire.traceparent), { traceId, spanId, traceFlags: 1, isRemote: true }, 'the message names the publish span');
    assert.equal(publish.attributes['diary.job.trigger'], 'diary_saved');

    // The subscriber side: a consumer span under the publish, and the handler's spans under it.
    const job = startJobSpan(wire, 1);
    await withContext(job.context, () => inSpan('store', async () => {}));
    job.span.end();
    const run = named('process daily_summary');
    assert.equal(run.parentSpanContext?.spanId, publish.spanContext().spanId);
    assert.equal(run.parentSpanContext?.isRemote, true);
    assert.equal(run.spanContext().traceId, save.spanContext().traceId);
    assert.equal(named('store').parentSpanContext?.spanId, run.spanContext().spanId);
    assert.equal(run.attributes['messaging.message.delivery_count'], 1);
  });

  it('a scheduled job starts a trace of its own, linked to its tick (not its child)', async () => {
    const sent: JobMessage[] = [];
    await inSpan('tick daily_summary', async (tick) => {
      for (const date of ['2024-01-15', '2024-01-16']) await publishTraced(async (m) => void sent.push(m), dailyMessage(U, date), tick.spanContext());
    });
    const tick = named('tick daily_summary');
    const publishes = spans().filter((s) => s.name === 'publish daily_summary');
    assert.equal(publishes.length, 2);
    for (const p of publishes) {
      assert.equal(p.parentSpanContext, undefined, 'a root span');
      assert.notEqual(p.spanContext().traceId, tick.spanContext().traceId);
      assert.deepEqual(p.links.map((l) => l.context.spanId), [tick.spanContext().spanId]);
    }
    assert.notEqual(publishes[0]?.spanContext().traceId, publishes[1]?.spanContext().traceId, 'one trace per job');
    assert.deepEqual(sent.map((m) => parseTraceparent(m.traceparent)?.spanId), publishes.map((p) => p.spanContext().spanId));
  });

  it('a malformed traceparent starts a new trace instead of failing', async () => {
    for (const traceparent of ['00-zz', 42, `00-${'0'.repeat(32)}-b7ad6b7169203331-01`]) {
      const job = startJobSpan({ ...dailyMessage(U, '2024-01-15'), traceparent }, 1);
      job.span.end();
    }
    const runs = spans().filter((s) => s.name === 'process daily_summary');
    assert.equal(runs.length, 3);
    for (const r of runs) assert.equal(r.parentSpanContext, undefined);
  });

  it('a failed publish marks its span failed and still rejects', async () => {
    await assert.rejects(
      publishTraced(async () => {
        throw new Error('redis down');
      }, dailyMessage(U, '2024-01-15')),
      /redis down/,
    );
    const p = named('publish daily_summary');
    assert.equal(p.status.code, 2);
    assert.equal(p.status.message, 'redis down');
  });
});
