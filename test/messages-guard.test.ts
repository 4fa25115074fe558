// The hand-compiled guard of src/messages.ts (issue 19): parseMessage skips zod when the guard says
// yes, so the guard must say yes exactly when zod would. Checked here against zod itself, over valid
// messages, one-field mutations, odd object shapes and JSON text; parseMessage's results are
// compared with a zod-only copy of it as it was before the guard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_MESSAGE_BYTES,
  dailySchema,
  isWireMessage,
  monthlySchema,
  parseMessage,
  type JobMessage,
  type ParseResult,
} from '../src/messages.js';
import {
  U,
  datetimeArb,
  messageLikeArb,
  messageTextArb,
  mutatedMessageArb,
  validMessageArb,
  withFields,
} from './helpers/message-arbitraries.js';

const RUNS = { numRuns: 5000 };

/** zod's verdict on a value, whichever of the two shapes its type asks for. */
function zodAccepts(value: unknown): boolean {
  return dailySchema.safeParse(value).success || monthlySchema.safeParse(value).success;
}

/** parseMessage as it was before the guard: zod decides every message (too_large and not_json aside). */
function zodOnlyParse(raw: string): ParseResult {
  if (Buffer.byteLength(raw, 'utf8') > MAX_MESSAGE_BYTES) return parseMessage(raw);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return parseMessage(raw); // not_json: untouched by the guard
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_object', detail: 'a message must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  const schema = type === 'daily_summary' ? dailySchema : type === 'monthly_summary' ? monthlySchema : undefined;
  if (!schema) return parseMessage(raw); // unknown_type: decided before the guard
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, reason: 'invalid_field', detail };
  }
  return { ok: true, message: value as JobMessage };
}

function agree(value: unknown): void {
  const guard = isWireMessage(value);
  if (guard !== zodAccepts(value)) assert.fail(`the guard says ${guard}, zod ${!guard}, on ${show(value)}`);
}
/** A description that never throws (the values have odd toString and valueOf fields on purpose). */
function show(value: unknown): string {
  try {
    return `${Object.prototype.toString.call(value)} ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : typeof v === 'bigint' ? `${v}n` : v))}`;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

describe('isWireMessage agrees with zod', () => {
  it('accepts every valid message', () => {
    fc.assert(fc.property(validMessageArb, (m) => assert.ok(isWireMessage(m) && zodAccepts(m), show(m))), RUNS);
  });

  it('on messages mutated one to three fields at a time', () => {
    fc.assert(fc.property(mutatedMessageArb, agree), { numRuns: 20_000 });
  });

  it('on every message-like value, odd object shapes included', () => {
    fc.assert(fc.property(messageLikeArb, agree), { numRuns: 10_000 });
  });

  it('on published_at, over assembled and random datetimes', () => {
    fc.assert(fc.property(datetimeArb, (at) => agree({ type: 'daily_summary', user_id: U, date: '2024-01-15', published_at: at })), { numRuns: 10_000 });
  });

  it('on hand-picked edges', () => {
    const d = { type: 'daily_summary', user_id: U, date: '2024-02-29' };
    const m = { type: 'monthly_summary', user_id: U, year: 2024, month: 2 };
    const cases: unknown[] = [
      d, m, { ...d, date: '2023-02-29' }, { ...m, month: -0 }, { ...m, year: -0 }, { ...d, attempt: -0 },
      { ...d, attempt: 1_000_000 }, { ...d, attempt: 1_000_001 }, { ...d, attempt: Number.NaN }, { ...m, year: Infinity },
      { ...d, id: 'x'.repeat(128) }, { ...d, id: 'x'.repeat(129) }, { ...d, id: '' }, { ...d, id: undefined },
      { ...d, published_at: '2024-01-15T00:00:00+23:59' }, { ...d, published_at: '2024-01-15T00:00:00+24:00' },
      { ...d, published_at: '2024-01-15T00:00+01:00' }, { ...d, published_at: '2024-01-15T00:00:00.5Z' },
      { ...d, published_at: '2023-02-29T00:00:00Z' }, { ...d, published_at: '0000-02-29T00:00:00Z' },
      { ...d, trigger: 'manual' }, { ...d, trigger: 'Manual' }, { ...d, traceparent: Symbol('t') },
      JSON.parse(`{"__proto__":{"type":"x"},"type":"daily_summary","user_id":"${U}","date":"2024-01-15"}`),
      JSON.parse(`{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","__proto__":null}`),
      withFields(d, [['__proto__', { attempt: 0 }]]),
      Object.assign(Object.create({ type: 'daily_summary', date: '2024-01-15' }) as object, { user_id: U }),
      Object.assign(Object.create(null) as object, m), Object.assign(new Date(0), d), Object.assign([], d),
      null, undefined, 'daily_summary', 0, [],
    ];
    for (const c of cases) agree(c);
    // The verdicts that matter, spelled out, so the cases above cannot all be wrong together.
    assert.ok(isWireMessage(d) && isWireMessage(m) && isWireMessage({ ...d, attempt: 1_000_000, id: 'x'.repeat(128) }));
    assert.ok(!isWireMessage({ ...d, attempt: 1_000_001 }) && !isWireMessage({ ...d, id: 'x'.repeat(129) }));
    assert.ok(!isWireMessage({ ...m, month: -0 }) && !isWireMessage({ ...d, date: '2023-02-29' }));
  });
});

describe('parseMessage is unchanged by the guard', () => {
  it('gives the zod-only result (ok, reason, detail, the same object) on message text', () => {
    fc.assert(
      fc.property(messageTextArb, (text) => {
        const got = parseMessage(text);
        const want = zodOnlyParse(text);
        if (got.ok && want.ok) assert.deepStrictEqual(got.message, want.message);
        else assert.deepStrictEqual(got, want, text);
        assert.equal(got.ok, want.ok, text);
      }),
      RUNS,
    );
  });

  it('keeps an own "__proto__" field as data on the fast path', () => {
    const r = parseMessage(`{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","__proto__":{"x":1}}`);
    assert.ok(r.ok);
    assert.equal(Object.getPrototypeOf(r.message), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(r.message, '__proto__')?.value, { x: 1 });
  });
});
