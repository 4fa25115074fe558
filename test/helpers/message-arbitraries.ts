// fast-check arbitraries for message-like values: valid wire messages, the same mutated one field at
// a time (wrong types, bounds, impossible dates, bad UUIDs, huge strings, odd datetimes, extra and
// "__proto__" fields), odd object shapes, and their JSON text. Used to hold the hand-compiled guard
// of src/messages.ts to zod's verdict.
import fc from 'fast-check';
import { MAX_YEAR, MIN_YEAR, TRIGGERS } from '../../src/messages.js';

export const U = '123e4567-e89b-12d3-a456-426614174000';
const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const monthDays = (y: number, m: number): number => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/** Valid UUIDs in any letter case. */
export const uuidArb = fc
  .tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
  .map(([u, flips]) => [...u].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join(''));

/** Strings that are nearly UUIDs. */
export const badUuidArb = fc.oneof(
  uuidArb.map((u) => u.replace(/-/, '')),
  uuidArb.map((u) => `{${u}}`),
  uuidArb.map((u) => `${u}\n`),
  uuidArb.map((u) => ` ${u}`),
  uuidArb.map((u) => `${u.slice(0, 35)}g`),
  uuidArb.map((u) => u.slice(1)),
  uuidArb.map((u) => `${u}0`),
  fc.constantFrom('', '00000000000000000000000000000000', '123e4567_e89b_12d3_a456_426614174000'),
);

/** Any four-digit year (zod's datetime allows 0000..9999), with the diary's bounds drawn often. */
const anyYearArb = fc.oneof(
  fc.integer({ min: 0, max: 9999 }),
  fc.constantFrom(0, 1899, MIN_YEAR, 2000, 2023, 2024, 2100, MAX_YEAR, 3000, 2400),
);
/** Real calendar dates YYYY-MM-DD; `years` bounds the year. */
export function calendarDateArb(years: fc.Arbitrary<number> = fc.integer({ min: MIN_YEAR, max: MAX_YEAR })): fc.Arbitrary<string> {
  return fc
    .tuple(years, fc.integer({ min: 1, max: 12 }))
    .chain(([y, m]) =>
      fc.oneof(fc.integer({ min: 1, max: monthDays(y, m) }), fc.constant(monthDays(y, m))).map((d) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`),
    );
}
/** Impossible, out-of-range or badly written dates (and, drawn often, 29 February). */
export const badDateArb = fc.oneof(
  fc.constantFrom(
    '2023-02-29', '1900-02-29', '2100-02-29', '2024-02-30', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00',
    '2024-01-32', '1899-12-31', '3000-01-01', '0000-01-01', '2024-1-01', '2024-01-1', '24-01-01', '2024/01/01',
    ' 2024-01-01', '2024-01-01\n', '2024-01-01T00:00:00Z', '２０２４-01-01', '+2024-01-01', '',
  ),
  anyYearArb.map((y) => `${pad(y, 4)}-02-29`),
  fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })).map(
    ([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`,
  ),
);

/** RFC 3339-ish datetimes assembled from edge pieces: some valid for z.iso.datetime({offset:true}), most not. */
export const datetimeArb = fc.oneof(
  fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .record({
      date: fc.oneof(calendarDateArb(anyYearArb), badDateArb),
      t: fc.constantFrom('T', 'T', 'T', 't', ' ', ''),
      hh: fc.constantFrom('00', '09', '12', '19', '20', '23', '24', '29', '1', '99'),
      mm: fc.constantFrom('00', '30', '59', '60', '5'),
      ss: fc.constantFrom(':00', ':00', ':59', ':60', ':5', '', ':'),
      frac: fc.constantFrom('', '', '.0', '.1', '.123', '.123456789', '.1234567890123456', '.', ',5', '.1a'),
      zone: fc.constantFrom(
        'Z', 'Z', '+00:00', '-00:00', '+23:59', '-23:59', '+05:30', '+14:00', '+24:00', '-12:60', '+0530', '+05', 'z',
        '', ' Z', 'Z ', 'UTC', '+5:30', '±05:30', '+05:30Z', 'Z\n',
      ),
    })
    .map(({ date, t, hh, mm, ss, frac, zone }) => `${date}${t}${hh}:${mm}${ss}${frac}${zone}`),
  fc.string({ maxLength: 40 }),
);

/** Strings around the 1..128 bound of id, and far past it. */
export const idArb = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 128 }),
  fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
  fc.integer({ min: 0, max: 140 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('', '😀'.repeat(64), '😀'.repeat(65), 'x'.repeat(10_000), 'é'.repeat(128)),
);

/** Numbers at and around every bound, and the ones that are not integers or not finite. */
export const edgeNumberArb = fc.oneof(
  fc.constantFrom(
    0, -0, 1, -1, 12, 13, MIN_YEAR - 1, MIN_YEAR, MAX_YEAR, MAX_YEAR + 1, 1_000_000, 1_000_001, 999_999.5, 1.5, 2024.5,
    0.1, Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e21,
  ),
  fc.integer({ min: -10, max: 20 }),
  fc.integer({ min: MIN_YEAR - 5, max: MAX_YEAR + 5 }),
  fc.integer({ min: 999_990, max: 1_000_010 }),
  fc.integer(),
  fc.double(),
);

/** Values of every JavaScript kind, the awkward ones drawn often. */
export const anyValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, true, false, '', [], {}, 'daily_summary', 'monthly_summary', 'schedule', 'Schedule', U),
  edgeNumberArb,
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(new Number(1), new String(U), new Date(0), [U], 1n, Symbol('s'), () => 1, Object.create(null)),
);

/** What may stand in a field of `name`: valid values, near misses, and values of other kinds. */
export function fieldValueArb(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'type':
      return fc.oneof(fc.constantFrom('daily_summary', 'monthly_summary', 'Daily_summary', 'daily_summary ', 'monthly'), anyValueArb);
    case 'user_id':
      return fc.oneof(uuidArb, badUuidArb, anyValueArb);
    case 'date':
      return fc.oneof(calendarDateArb(), badDateArb, anyValueArb);
    case 'year':
    case 'month':
    case 'attempt':
      return fc.oneof(edgeNumberArb, anyValueArb);
    case 'id':
      return fc.oneof(idArb, anyValueArb);
    case 'published_at':
      return fc.oneof(datetimeArb, anyValueArb);
    case 'trigger':
      return fc.oneof(fc.constantFrom(...TRIGGERS, 'Manual', 'manual ', ''), anyValueArb);
    default:
      return anyValueArb;
  }
}

const KNOWN = ['type', 'user_id', 'date', 'year', 'month', 'id', 'published_at', 'trigger', 'attempt', 'traceparent'];
const extraKeyArb = fc
  .oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''))
  .filter((k) => !KNOWN.includes(k));

/** Sets fields as own enumerable properties ("__proto__" too: a plain assignment would set the prototype). */
export function withFields(base: object, fields: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = { ...base };
  for (const [k, v] of fields) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const optionalArb = fc.record(
  {
    id: idArb.filter((s) => s.length >= 1 && s.length <= 128),
    published_at: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    trigger: fc.constantFrom(...TRIGGERS),
    attempt: fc.integer({ min: 1, max: 1_000_000 }),
    traceparent: anyValueArb,
  },
  { requiredKeys: [] },
);
const extrasArb = fc.array(fc.tuple(extraKeyArb, anyValueArb), { maxLength: 3 });

/** Messages zod accepts, with optional and unknown fields (own "__proto__" included). */
export const validMessageArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc
    .tuple(uuidArb, calendarDateArb(), optionalArb, extrasArb)
    .map(([user_id, date, opt, extras]) => withFields({ type: 'daily_summary', user_id, date, ...opt }, extras)),
  fc
    .tuple(uuidArb, fc.integer({ min: MIN_YEAR, max: MAX_YEAR }), fc.integer({ min: 1, max: 12 }), optionalArb, extrasArb)
    .map(([user_id, year, month, opt, extras]) => withFields({ type: 'monthly_summary', user_id, year, month, ...opt }, extras)),
);

/** A valid message with one to three fields replaced by field-specific odd values, or deleted. */
export const mutatedMessageArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validMessageArb, fc.array(fc.constantFrom(...KNOWN), { minLength: 1, maxLength: 3 }))
  .chain(([base, names]) =>
    fc
      .tuple(...names.map((n) => fc.option(fieldValueArb(n), { nil: undefined, freq: 6 }).chain((v) => fc.tuple(fc.constant(n), fc.constant(v), fc.boolean()))))
      .map((changes) => {
        const o = { ...base };
        // undefined plus "delete" removes the key; undefined alone keeps it as an own undefined (zod: same thing).
        for (const [n, v, del] of changes) {
          if (v === undefined && del) delete o[n];
          else o[n] = v;
        }
        return o;
      }),
  );

/** Object.assign, skipping keys the target refuses (an array's length, a String's indices). */
function assignSome<T extends object>(target: T, fields: object): T {
  for (const [k, v] of Object.entries(fields)) {
    try {
      (target as Record<string, unknown>)[k] = v;
    } catch {
      // read-only or invalid for this target: the other fields still make the case
    }
  }
  return target;
}

class Holder {
  constructor(fields: Record<string, unknown>) {
    assignSome(this, fields);
  }
}
/** The same fields on objects that are not plain: null prototype, class instance, Date, inherited fields, array. */
export const oddShapeArb: fc.Arbitrary<unknown> = fc
  .tuple(fc.oneof(validMessageArb, mutatedMessageArb), fc.constantFrom('null-proto', 'class', 'date', 'inherited', 'array', 'boxed'))
  .map(([fields, kind]) => {
    switch (kind) {
      case 'null-proto':
        return assignSome(Object.create(null) as object, fields);
      case 'class':
        return new Holder(fields);
      case 'date':
        return assignSome(new Date(0), fields);
      case 'inherited': {
        // Half the fields come from the prototype: zod reads input[key], which sees them.
        const entries = Object.entries(fields);
        const proto = Object.fromEntries(entries.filter((_, i) => i % 2 === 0));
        return assignSome(Object.create(proto) as object, Object.fromEntries(entries.filter((_, i) => i % 2 === 1)));
      }
      case 'array':
        return assignSome([], fields);
      default:
        return assignSome(new String('x'), fields);
    }
  });

/** Everything the guard may be handed. */
export const messageLikeArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: validMessageArb, weight: 3 },
  { arbitrary: mutatedMessageArb, weight: 6 },
  { arbitrary: oddShapeArb, weight: 1 },
  { arbitrary: anyValueArb, weight: 1 },
);

// JSON number tokens that parse to the bounds: -0 and 2024.0 and 1e0 are not what JSON.stringify writes.
const rawNumberArb = fc.constantFrom('-0', '0', '1e0', '1E0', '1.0', '12.0', '1.2e1', '1900.0', '2999.00', '1e6', '1000000.0', '1000000.0000000001', '1.5', '-1', '1e400', '-1e400');

/** JSON text of message-like objects, some numbers written oddly, some with extra "__proto__" members. */
export const messageTextArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(validMessageArb, mutatedMessageArb),
    fc.array(fc.tuple(fc.constantFrom('year', 'month', 'attempt'), rawNumberArb), { maxLength: 2 }),
    fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  )
  .map(([o, raws, proto]) => {
    const members: string[] = [];
    for (const [k, v] of Object.entries(o)) {
      const raw = raws.find(([n]) => n === k);
      const text = raw ? raw[1] : safeStringify(v);
      if (text !== undefined) members.push(`${JSON.stringify(k)}:${text}`);
    }
    if (proto !== undefined) members.push(`"__proto__":${JSON.stringify(proto)}`);
    return `{${members.join(',')}}`;
  });

/** JSON.stringify that skips what JSON cannot hold (undefined, functions, symbols, bigint). */
function safeStringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}
