// The traceparent a job message may carry (W3C Trace Context level 1): what is read, and that
// anything malformed is ignored (undefined) rather than thrown on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatTraceparent, parseTraceparent } from '../src/traceparent.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

describe('parseTraceparent', () => {
  it('reads a version-00 traceparent as a remote span context, sampled or not', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN, traceFlags: 0, isRemote: true });
  });

  it('keeps only the sampled bit of the flags', () => {
    assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.traceFlags, 1);
    assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-fe`)?.traceFlags, 0);
  });

  it('accepts a later version with more fields, reading the first four', () => {
    assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-whatever-comes`)?.spanId, SPAN);
    assert.equal(parseTraceparent(`cc-${TRACE}-${SPAN}-01`)?.traceId, TRACE);
  });

  const malformed: Array<[string, unknown]> = [
    ['not a string', 42],
    ['null', null],
    ['an object', { traceparent: `00-${TRACE}-${SPAN}-01` }],
    ['empty', ''],
    ['garbage', 'hello'],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with an extra field', `00-${TRACE}-${SPAN}-01-extra`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['long span id', `00-${TRACE}-${SPAN}0-01`],
    ['missing flags', `00-${TRACE}-${SPAN}`],
    ['one-digit flags', `00-${TRACE}-${SPAN}-1`],
    ['surrounding space', ` 00-${TRACE}-${SPAN}-01`],
    ['wrong separators', `00_${TRACE}_${SPAN}_01`],
    ['non-hex', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['a trailing newline', `00-${TRACE}-${SPAN}-01\n`],
    ['kilobytes', `01-${TRACE}-${SPAN}-01-${'x'.repeat(1000)}`],
  ];
  for (const [what, value] of malformed) {
    it(`ignores ${what}`, () => assert.equal(parseTraceparent(value), undefined));
  }

  it('never throws, whatever it is given', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void parseTraceparent(v)), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => void parseTraceparent(s)), { numRuns: 500 });
  });
});

describe('formatTraceparent', () => {
  it('round-trips every valid span context through parseTraceparent', () => {
    const ids = fc.record({ traceId: hex(32).filter((t) => /[1-9a-f]/.test(t)), spanId: hex(16).filter((s) => /[1-9a-f]/.test(s)), traceFlags: fc.constantFrom(0, 1) });
    fc.assert(
      fc.property(ids, (ctx) => {
        const tp = formatTraceparent(ctx);
        assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
        assert.deepEqual(parseTraceparent(tp), { ...ctx, isRemote: true });
      }),
      { numRuns: 300 },
    );
  });
});
