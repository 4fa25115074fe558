// The wire format of DESIGN.md ("never break it"): property tests over valid and mutated messages,
// the 64 KiB limit, encode/decode round trips, and the job identity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_MESSAGE_BYTES,
  MAX_YEAR,
  MIN_YEAR,
  TRIGGERS,
  dailyMessage,
  daysInMonth,
  isCalendarDate,
  jobKey,
  monthlyMessage,
  parseMessage,
  toWire,
  type JobMessage,
  type ParseResult,
  type RejectReason,
} from '../src/messages.js';

const RUNS = { numRuns: 300 };
const REASONS: ReadonlySet<RejectReason> = new Set(['too_large', 'not_json', 'not_object', 'unknown_type', 'invalid_field']);
const KNOWN_FIELDS = new Set(['type', 'user_id', 'date', 'year', 'month', 'id', 'published_at', 'trigger', 'attempt']);
const U = '123e4567-e89b-12d3-a456-426614174000';
const bytesOf = (s: string): number => Buffer.byteLength(s, 'utf8');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---- an oracle independent of the code under test --------------------------------------------

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
function monthDays(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

// ---- generators for valid messages ------------------------------------------------------------

/** A UUID in lower, upper or mixed case. */
const uuidArb = fc
  .tuple(fc.uuid(), fc.constantFrom('lower', 'upper', 'mixed'), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
  .map(([u, kase, flips]) =>
    kase === 'lower'
      ? u.toLowerCase()
      : kase === 'upper'
        ? u.toUpperCase()
        : [...u].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
  );

const yearArb = fc.integer({ min: MIN_YEAR, max: MAX_YEAR });
const monthArb = fc.integer({ min: 1, max: 12 });
/** Every real calendar date of 1900..2999, with 29 February of leap years drawn often. */
const dateArb = fc.oneof(
  fc
    .tuple(yearArb, monthArb)
    .chain(([y, m]) => fc.integer({ min: 1, max: monthDays(y, m) }).map((d) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)),
  yearArb.filter(isLeap).map((y) => `${pad(y, 4)}-02-29`),
  fc.constantFrom('1900-01-01', '2999-12-31', '2000-02-29', '2400-02-29', '1904-02-29', '2024-12-31'),
);

const publishedAtArb = fc.oneof(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2024-01-15T00:00:00Z', '2024-01-15T09:30:00+09:00', '2024-01-15T09:30:00.123456-07:00'),
);

/** Optional fields, each present or absent. */
const optionalArb = fc.record(
  {
    id: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 128, unit: 'grapheme' })),
    published_at: publishedAtArb,
    trigger: fc.constantFrom(...TRIGGERS),
    attempt: fc.integer({ min: 1, max: 1_000_000 }),
  },
  { requiredKeys: [] },
);

/** Unknown fields of any JSON type; "__proto__" and Object.prototype names included on purpose. */
const extraKeyArb = fc
  .oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'version', ''))
  .filter((k) => !KNOWN_FIELDS.has(k));
// (JSON has no -0: fc.jsonValue may draw one, so values go through JSON once to be wire values.)
const wireValueArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const extrasArb = fc.array(fc.tuple(extraKeyArb, wireValueArb), { maxLength: 4 });

/** Adds fields as own enumerable properties (a plain assignment of "__proto__" would set the prototype). */
function withFields<T extends object>(base: T, fields: ReadonlyArray<readonly [string, unknown]>): T {
  const o = { ...base } as Record<string, unknown>;
  for (const [k, v] of fields) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o as T;
}

const dailyArb = fc
  .tuple(uuidArb, dateArb, optionalArb, extrasArb)
  .map(([user_id, date, opt, extras]) => withFields({ type: 'daily_summary' as const, user_id, date, ...opt }, extras));
const monthlyArb = fc
  .tuple(uuidArb, yearArb, monthArb, optionalArb, extrasArb)
  .map(([user_id, year, month, opt, extras]) => withFields({ type: 'monthly_summary' as const, user_id, year, month, ...opt }, extras));
const messageArb: fc.Arbitrary<JobMessage> = fc.oneof(dailyArb, monthlyArb);

// ---- helpers ---------------------------------------------------------------------------------

function expectOk(result: ParseResult, why = ''): JobMessage {
  if (!result.ok) assert.fail(`expected acceptance${why ? ` of ${why}` : ''}, got ${result.reason}: ${result.detail}`);
  return result.message;
}
function expectReject(result: ParseResult, reason: RejectReason, why = ''): void {
  if (result.ok) assert.fail(`expected ${reason}${why ? ` for ${why}` : ''}, but it was accepted`);
  assert.equal(result.reason, reason, `${why}: ${result.detail}`);
  assert.equal(typeof result.detail, 'string');
  assert.ok(result.detail.length > 0, 'a rejection explains itself');
}
/** A well-formed result, whatever the input: ok with a message, or a known reason with a detail. */
function wellFormed(result: ParseResult): void {
  if (result.ok) {
    assert.ok(result.message.type === 'daily_summary' || result.message.type === 'monthly_summary');
  } else {
    assert.ok(REASONS.has(result.reason), `reason ${String(result.reason)}`);
    assert.equal(typeof result.detail, 'string');
  }
}
/** The wire text of `base` with its fields replaced (undefined deletes a field). */
function wire(base: Record<string, unknown>, changes: Record<string, unknown>): string {
  const o: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete o[k];
    else o[k] = v;
  }
  return JSON.stringify(o);
}
const DAILY = { type: 'daily_summary', user_id: U, date: '2024-01-15' };
const MONTHLY = { type: 'monthly_summary', user_id: U, year: 2024, month: 1 };

// ---- valid messages --------------------------------------------------------------------------

describe('valid messages', () => {
  it('the two examples of DESIGN.md are accepted as written', () => {
    const d = expectOk(parseMessage(`{"type":"daily_summary","user_id":"${U}","date":"2024-01-15"}`));
    assert.deepEqual(d, DAILY);
    const m = expectOk(parseMessage(`{"type":"monthly_summary","user_id":"${U}","year":2024,"month":1}`));
    assert.deepEqual(m, MONTHLY);
  });

  it('every generated message is accepted, keeps its unknown fields, and round-trips through toWire', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const text = toWire(m);
        const parsed = expectOk(parseMessage(text), text);
        assert.deepStrictEqual(parsed, m);
        for (const key of Object.keys(m)) {
          assert.ok(Object.hasOwn(parsed, key), `field ${JSON.stringify(key)} kept`);
          assert.deepStrictEqual((parsed as unknown as Record<string, unknown>)[key], (m as unknown as Record<string, unknown>)[key]);
        }
        // Encoding what was decoded gives the same text back, and bytes decode like the string.
        assert.equal(toWire(parsed), text);
        assert.deepStrictEqual(expectOk(parseMessage(utf8(text))), m);
        assert.deepStrictEqual(expectOk(parseMessage(Buffer.from(text, 'utf8'))), m);
      }),
      { numRuns: 500 },
    );
  });

  it('"__proto__" as an unknown field is kept as data and does not become the prototype', () => {
    const parsed = expectOk(parseMessage(`{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","__proto__":{"polluted":true}}`));
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal((parsed as unknown as { polluted?: unknown }).polluted, undefined);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(toWire(parsed), `{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","__proto__":{"polluted":true}}`);
  });

  it('whitespace around and inside the JSON is fine, and field order does not matter', () => {
    expectOk(parseMessage(` \n{ "date" : "2024-01-15" ,\t"user_id":"${U}", "type":"daily_summary" }\r\n`));
    expectOk(parseMessage(`{"month":12,"year":1900,"user_id":"${U.toUpperCase()}","type":"monthly_summary"}`));
  });

  it('29 February is accepted exactly in leap years (1904, 2000, 2024, 2400) and the last day of each month is', () => {
    for (const y of [1904, 1996, 2000, 2024, 2400, 2996]) expectOk(parseMessage(wire(DAILY, { date: `${y}-02-29` })), `${y}-02-29`);
    for (let m = 1; m <= 12; m++) {
      const last = `2023-${pad(m, 2)}-${pad(monthDays(2023, m), 2)}`;
      expectOk(parseMessage(wire(DAILY, { date: last })), last);
    }
  });

  it('year and month at their bounds, written as 2024.0 or 1e0 still count as integers', () => {
    for (const [year, month] of [[MIN_YEAR, 1], [MAX_YEAR, 12], [2024, 6]] as const) {
      expectOk(parseMessage(wire(MONTHLY, { year, month })), `${year}-${month}`);
    }
    expectOk(parseMessage(`{"type":"monthly_summary","user_id":"${U}","year":2024.0,"month":1e0}`));
  });

  it('dailyMessage and monthlyMessage build messages the validator accepts', () => {
    fc.assert(
      fc.property(uuidArb, dateArb, yearArb, monthArb, fc.constantFrom(...TRIGGERS), (user, date, year, month, trigger) => {
        const d = dailyMessage(user, date, { trigger });
        assert.deepStrictEqual(expectOk(parseMessage(toWire(d))), d);
        assert.equal(d.trigger, trigger);
        const m = monthlyMessage(user, year, month);
        assert.deepStrictEqual(expectOk(parseMessage(toWire(m))), m);
        assert.equal(m.trigger, 'schedule');
      }),
      RUNS,
    );
    const now = new Date('2024-03-01T12:00:00Z');
    assert.deepEqual(dailyMessage(U, '2024-02-29', { id: 'job-1', now, trigger: 'manual' }), {
      type: 'daily_summary',
      user_id: U,
      date: '2024-02-29',
      id: 'job-1',
      published_at: '2024-03-01T12:00:00.000Z',
      trigger: 'manual',
    });
    assert.deepEqual(monthlyMessage(U, 2024, 2, { id: 'job-2', now }), {
      type: 'monthly_summary',
      user_id: U,
      year: 2024,
      month: 2,
      id: 'job-2',
      published_at: '2024-03-01T12:00:00.000Z',
      trigger: 'schedule',
    });
    assert.notEqual(dailyMessage(U, '2024-01-01').id, dailyMessage(U, '2024-01-01').id, 'fresh ids');
  });
});

// ---- calendar dates --------------------------------------------------------------------------

describe('isCalendarDate', () => {
  it('agrees with an independent calendar on every YYYY-MM-DD with small fields', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (y, m, d) => {
        const expected = y >= MIN_YEAR && y <= MAX_YEAR && m >= 1 && m <= 12 && d >= 1 && d <= monthDays(y, m);
        assert.equal(isCalendarDate(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`), expected, `${y}-${m}-${d}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every generated real date', () => {
    fc.assert(fc.property(dateArb, (d) => assert.ok(isCalendarDate(d), d)), RUNS);
  });

  it('rejects impossible and badly written dates', () => {
    for (const d of [
      '2024-02-30', '2023-02-29', '1900-02-29', '2100-02-29', '2024-13-01', '2024-00-10', '2024-01-00', '2024-01-32',
      '2024-04-31', '2024-1-5', '2024-01-5', '24-01-05', '02024-01-05', '2024/01/05', '20240105', '2024-01-15T00:00:00Z',
      '2024-01-15 ', ' 2024-01-15', '2024-01-15\n', '2024-01-15T00:00', '1899-12-31', '3000-01-01', '0000-01-01', '-001-01-01',
      '２０２４-01-15', '2024-０1-15', '', 'today',
    ]) {
      assert.equal(isCalendarDate(d), false, JSON.stringify(d));
    }
  });

  it('daysInMonth follows the Gregorian calendar for any year, including 0..99', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), monthArb, (y, m) => assert.equal(daysInMonth(y, m), monthDays(y, m), `${y}-${m}`)),
      { numRuns: 1000 },
    );
    assert.equal(daysInMonth(0, 2), 29);
    assert.equal(daysInMonth(4, 2), 29);
    assert.equal(daysInMonth(100, 2), 28);
  });
});

// ---- rejected messages -----------------------------------------------------------------------

describe('rejections: not JSON', () => {
  it('random garbage strings are rejected as not_json', () => {
    const notJson = (s: string): boolean => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary' }).filter(notJson), (s) => expectReject(parseMessage(s), 'not_json', JSON.stringify(s))), RUNS);
    for (const s of ['', ' ', '{', '}', "{'type':'daily_summary'}", '{type:"daily_summary"}', 'undefined', 'NaN', '{"a":1,}', '\ufeff{}']) {
      expectReject(parseMessage(s), 'not_json', JSON.stringify(s));
    }
  });

  it('every truncation of a valid message is rejected as not_json', () => {
    fc.assert(
      fc.property(
        messageArb.chain((m) => {
          const text = toWire(m);
          return fc.tuple(fc.constant(text), fc.integer({ min: 0, max: text.length - 1 }));
        }),
        ([text, cut]) => expectReject(parseMessage(text.slice(0, cut)), 'not_json', text.slice(0, cut)),
      ),
      RUNS,
    );
  });

  it('bytes that are not UTF-8 are rejected as not_json', () => {
    const good = utf8(wire(DAILY, {}));
    const bad = new Uint8Array([...good.slice(0, -2), 0xff, 0xfe, ...good.slice(-2)]);
    expectReject(parseMessage(bad), 'not_json');
    expectReject(parseMessage(new Uint8Array([0xc3])), 'not_json');
  });

  it('a byte-order mark gets the same verdict as bytes and as a string', () => {
    const text = `\ufeff${wire(DAILY, {})}`;
    const s = parseMessage(text);
    const b = parseMessage(utf8(text));
    assert.equal(s.ok, b.ok);
    expectReject(b, 'not_json');
  });
});

describe('rejections: not an object', () => {
  it('arrays, numbers, null, strings and booleans are rejected as not_object', () => {
    const nonObject = fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v));
    fc.assert(fc.property(nonObject, (v) => expectReject(parseMessage(JSON.stringify(v)), 'not_object', JSON.stringify(v))), RUNS);
    for (const s of ['[]', `[${wire(DAILY, {})}]`, '0', '-1.5', 'null', 'true', '"daily_summary"', JSON.stringify(wire(DAILY, {}))]) {
      expectReject(parseMessage(s), 'not_object', s);
    }
  });
});

describe('rejections: unknown or missing type', () => {
  it('a missing type, or any type value other than the two, is unknown_type', () => {
    expectReject(parseMessage(wire(DAILY, { type: undefined })), 'unknown_type', 'missing type');
    expectReject(parseMessage('{}'), 'unknown_type', '{}');
    const otherType = fc.jsonValue().filter((v) => v !== 'daily_summary' && v !== 'monthly_summary');
    fc.assert(
      fc.property(fc.oneof(dailyArb, monthlyArb), otherType, (m, type) => {
        const text = JSON.stringify({ ...m, type });
        expectReject(parseMessage(text), 'unknown_type', text);
      }),
      RUNS,
    );
    for (const type of ['Daily_Summary', 'DAILY_SUMMARY', 'daily_summary ', ' daily_summary', 'daily', 'monthly', 'weekly_summary', '', null, 1, true, ['daily_summary'], { daily_summary: true }]) {
      expectReject(parseMessage(wire(DAILY, { type })), 'unknown_type', JSON.stringify(type));
    }
  });

  it('the detail of an unknown type is short and computing it never throws, even on deep nesting', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const r = parseMessage(`{"type":${deep}}`);
    expectReject(r, 'unknown_type', 'deeply nested type');
    const long = parseMessage(wire(DAILY, { type: 'x'.repeat(50_000) }));
    expectReject(long, 'unknown_type', 'long type');
    assert.ok(!long.ok && long.detail.length < 200, 'detail does not echo 50 000 characters');
  });
});

describe('rejections: missing or mistyped fields', () => {
  it('each required field missing is invalid_field', () => {
    for (const f of ['user_id', 'date']) expectReject(parseMessage(wire(DAILY, { [f]: undefined })), 'invalid_field', `daily without ${f}`);
    for (const f of ['user_id', 'year', 'month']) expectReject(parseMessage(wire(MONTHLY, { [f]: undefined })), 'invalid_field', `monthly without ${f}`);
    // A daily message with monthly fields (and the reverse) still lacks its own.
    expectReject(parseMessage(wire(DAILY, { date: undefined, year: 2024, month: 1 })), 'invalid_field');
    expectReject(parseMessage(wire(MONTHLY, { year: undefined, month: undefined, date: '2024-01-15' })), 'invalid_field');
  });

  it('the detail names the offending field', () => {
    const r = parseMessage(wire(MONTHLY, { month: 13 }));
    assert.ok(!r.ok && r.detail.includes('month'), JSON.stringify(r));
    const r2 = parseMessage(wire(DAILY, { user_id: 42 }));
    assert.ok(!r2.ok && r2.detail.includes('user_id'), JSON.stringify(r2));
  });

  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['user_id as number', DAILY, { user_id: 123 }],
    ['user_id null', DAILY, { user_id: null }],
    ['user_id as array', MONTHLY, { user_id: [U] }],
    ['date as number', DAILY, { date: 20240115 }],
    ['date null', DAILY, { date: null }],
    ['date as object', DAILY, { date: { year: 2024, month: 1, day: 15 } }],
    ['year as string', MONTHLY, { year: '2024' }],
    ['month as string', MONTHLY, { month: '1' }],
    ['month 0', MONTHLY, { month: 0 }],
    ['month 13', MONTHLY, { month: 13 }],
    ['month 1.5', MONTHLY, { month: 1.5 }],
    ['month -1', MONTHLY, { month: -1 }],
    ['month null', MONTHLY, { month: null }],
    ['year 1899', MONTHLY, { year: 1899 }],
    ['year 3000', MONTHLY, { year: 3000 }],
    ['year 0', MONTHLY, { year: 0 }],
    ['year -1', MONTHLY, { year: -1 }],
    ['year 2024.5', MONTHLY, { year: 2024.5 }],
    ['year 1e9', MONTHLY, { year: 1e9 }],
    ['year true', MONTHLY, { year: true }],
  ];
  for (const date of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-1-5', '2024-01-15T00:00:00Z', '2024-01-15 10:00', '1899-12-31', '3000-01-01', '0000-01-01', '-0001-01-01', '2024-00-01', '']) {
    cases.push([`date ${JSON.stringify(date)}`, DAILY, { date }]);
  }
  for (const [name, base, change] of cases) {
    it(`${name} is invalid_field`, () => expectReject(parseMessage(wire(base, change)), 'invalid_field', name));
  }

  it('any integer year outside 1900..2999 and any month outside 1..12 is invalid_field', () => {
    const badYear = fc.oneof(fc.integer({ max: MIN_YEAR - 1 }), fc.integer({ min: MAX_YEAR + 1 }));
    const badMonth = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 13 }), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)));
    fc.assert(
      fc.property(monthlyArb, badYear, (m, year) => expectReject(parseMessage(JSON.stringify({ ...m, year })), 'invalid_field', `year ${year}`)),
      RUNS,
    );
    fc.assert(
      fc.property(monthlyArb, badMonth, (m, month) => expectReject(parseMessage(JSON.stringify({ ...m, month })), 'invalid_field', `month ${month}`)),
      RUNS,
    );
    // A daily message whose date has an out-of-range year.
    fc.assert(
      fc.property(dailyArb, fc.oneof(fc.integer({ min: 0, max: MIN_YEAR - 1 }), fc.integer({ min: MAX_YEAR + 1, max: 9999 })), (m, y) => {
        const date = `${pad(y, 4)}${m.date.slice(4)}`;
        expectReject(parseMessage(JSON.stringify({ ...m, date })), 'invalid_field', date);
      }),
      RUNS,
    );
  });

  it('any string that is not a real date is invalid_field', () => {
    const notADate = fc
      .oneof(
        fc.string(),
        fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 })).map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`),
        dateArb.map((d) => `${d}T00:00:00`),
      )
      .filter((s) => {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
        if (!m) return true;
        const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
        return !(y >= MIN_YEAR && y <= MAX_YEAR && mo >= 1 && mo <= 12 && d >= 1 && d <= monthDays(y, mo));
      });
    fc.assert(
      fc.property(dailyArb, notADate, (m, date) => expectReject(parseMessage(JSON.stringify({ ...m, date })), 'invalid_field', date)),
      RUNS,
    );
  });
});

describe('rejections: malformed UUIDs', () => {
  const bad = [
    '', 'not-a-uuid', U.replace(/-/g, ''), `{${U}}`, `urn:uuid:${U}`, `${U} `, ` ${U}`, `${U}\n`, U.slice(0, -1), `${U}0`,
    U.replace('e', 'g'), U.replace('-', '_'), '123e4567-e89b-12d3-a456-42661417400Z', '123e4567e-89b-12d3-a456-426614174000',
    '１23e4567-e89b-12d3-a456-426614174000',
  ];
  for (const user_id of bad) {
    it(`user_id ${JSON.stringify(user_id)} is invalid_field`, () => {
      expectReject(parseMessage(wire(DAILY, { user_id })), 'invalid_field');
      expectReject(parseMessage(wire(MONTHLY, { user_id })), 'invalid_field');
    });
  }

  it('a UUID with one character replaced by a non-hex one, or one removed, is invalid_field', () => {
    const mutated = fc
      .tuple(uuidArb, fc.integer({ min: 0, max: 35 }), fc.constantFrom('g', 'z', ' ', '-', '_', 'G', 'é', '0x', ''))
      .map(([u, i, c]) => `${u.slice(0, i)}${c}${u.slice(i + 1)}`)
      .filter((u) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(u));
    fc.assert(
      fc.property(fc.oneof(dailyArb, monthlyArb), mutated, (m, user_id) => expectReject(parseMessage(JSON.stringify({ ...m, user_id })), 'invalid_field', user_id)),
      RUNS,
    );
  });
});

describe('rejections: optional fields with the wrong type', () => {
  const cases: Array<[string, unknown]> = [
    ['trigger', 'cron'],
    ['trigger', 'SCHEDULE'],
    ['trigger', ''],
    ['trigger', 1],
    ['trigger', null],
    ['attempt', 0],
    ['attempt', -1],
    ['attempt', 1.5],
    ['attempt', '1'],
    ['attempt', null],
    ['attempt', 1e12],
    ['id', ''],
    ['id', 42],
    ['id', null],
    ['id', 'x'.repeat(129)],
    ['published_at', 'yesterday'],
    ['published_at', 1705276800000],
    ['published_at', '2024-01-15'],
    ['published_at', '2024-02-30T00:00:00Z'],
  ];
  for (const [field, value] of cases) {
    it(`${field} ${JSON.stringify(value)} is invalid_field`, () => {
      expectReject(parseMessage(wire(DAILY, { [field]: value })), 'invalid_field', `${field}=${JSON.stringify(value)}`);
      expectReject(parseMessage(wire(MONTHLY, { [field]: value })), 'invalid_field', `${field}=${JSON.stringify(value)}`);
    });
  }

  it('any trigger other than the three, and any attempt that is not a positive integer, is invalid_field', () => {
    const badTrigger = fc.jsonValue().filter((v) => !(TRIGGERS as readonly unknown[]).includes(v));
    const badAttempt = fc.oneof(fc.integer({ max: 0 }), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)), fc.string(), fc.constant(null));
    fc.assert(fc.property(messageArb, badTrigger, (m, trigger) => expectReject(parseMessage(JSON.stringify({ ...m, trigger })), 'invalid_field')), RUNS);
    fc.assert(fc.property(messageArb, badAttempt, (m, attempt) => expectReject(parseMessage(JSON.stringify({ ...m, attempt })), 'invalid_field')), RUNS);
  });
});

// ---- the 64 KiB limit ------------------------------------------------------------------------

describe('the 64 KiB limit (UTF-8 bytes, checked before parsing)', () => {
  /** A valid message padded with an extra field `pad` of `unit` repeated to exactly `target` bytes, or just over. */
  function padded(target: number, unit = 'a'): string {
    const base = wire(DAILY, { pad: '' });
    const room = target - bytesOf(base);
    const n = Math.floor(room / bytesOf(unit));
    const fill = unit.repeat(n) + 'a'.repeat(room - n * bytesOf(unit));
    const text = wire(DAILY, { pad: fill });
    assert.equal(bytesOf(text), target);
    return text;
  }

  it('MAX_MESSAGE_BYTES is 64 KiB', () => assert.equal(MAX_MESSAGE_BYTES, 65_536));

  it('exactly 65 536 bytes is accepted, 65 537 is too_large (as a string and as bytes)', () => {
    const at = padded(MAX_MESSAGE_BYTES);
    expectOk(parseMessage(at), 'a message of exactly 64 KiB');
    expectOk(parseMessage(utf8(at)), 'the same as bytes');
    const over = padded(MAX_MESSAGE_BYTES + 1);
    expectReject(parseMessage(over), 'too_large');
    expectReject(parseMessage(utf8(over)), 'too_large');
  });

  it('counts UTF-8 bytes, not string length: multibyte text under 64 Ki characters but over 64 KiB is too_large', () => {
    for (const unit of ['あ', 'é', '😀']) {
      const over = padded(MAX_MESSAGE_BYTES + 1, unit);
      assert.ok(over.length < MAX_MESSAGE_BYTES, `${unit}: ${over.length} UTF-16 units`);
      expectReject(parseMessage(over), 'too_large', `padded with ${unit}`);
      expectReject(parseMessage(utf8(over)), 'too_large', `padded with ${unit}, as bytes`);
      const at = padded(MAX_MESSAGE_BYTES, unit);
      expectOk(parseMessage(at), `exactly 64 KiB padded with ${unit}`);
    }
    // Just over a third of the limit in 3-byte characters: the fast path must not skip the count.
    const third = wire(DAILY, { pad: 'あ'.repeat(Math.ceil(MAX_MESSAGE_BYTES / 3)) });
    assert.ok(bytesOf(third) > MAX_MESSAGE_BYTES);
    expectReject(parseMessage(third), 'too_large');
  });

  it('the size is checked before parsing: oversized garbage is too_large, not not_json', () => {
    expectReject(parseMessage('x'.repeat(MAX_MESSAGE_BYTES + 1)), 'too_large');
    expectReject(parseMessage('あ'.repeat(21_846)), 'too_large');
    expectReject(parseMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0xff)), 'too_large');
    expectReject(parseMessage('{'.repeat(10 * MAX_MESSAGE_BYTES)), 'too_large');
  });

  it('near the limit, the verdict is exactly "UTF-8 bytes <= 65 536"', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8, max: 8 }),
        fc.constantFrom('a', 'é', 'あ', '😀', '\u0000', '"'),
        (delta, unit) => {
          const base = wire(DAILY, { pad: '' });
          const unitBytes = bytesOf(JSON.stringify(unit)) - 2; // escaped size on the wire
          const n = Math.max(0, Math.floor((MAX_MESSAGE_BYTES + delta - bytesOf(base)) / unitBytes));
          const text = wire(DAILY, { pad: unit.repeat(n) });
          const r = parseMessage(text);
          if (bytesOf(text) <= MAX_MESSAGE_BYTES) expectOk(r, `${bytesOf(text)} bytes`);
          else expectReject(r, 'too_large', `${bytesOf(text)} bytes`);
        },
      ),
      { numRuns: 100 },
    );
  });
});

// ---- totality --------------------------------------------------------------------------------

describe('parseMessage never throws', () => {
  it('for any string (binary units, lone surrogates included)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => wellFormed(parseMessage(s))), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => wellFormed(parseMessage(s))), { numRuns: 500 });
    for (const s of ['\ud800', `{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","x":"\ud800"}`, '\u0000', '"\\ud800"']) {
      wellFormed(parseMessage(s));
    }
  });

  it('for any JSON value, and any JSON value as a field of an otherwise valid message', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => wellFormed(parseMessage(JSON.stringify(v)))), { numRuns: 1000 });
    fc.assert(
      fc.property(messageArb, fc.constantFrom(...KNOWN_FIELDS), fc.jsonValue(), (m, field, v) => {
        wellFormed(parseMessage(JSON.stringify({ ...m, [field]: v })));
      }),
      { numRuns: 500 },
    );
  });

  it('for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => wellFormed(parseMessage(b))), { numRuns: 500 });
  });

  it('for deeply nested values in any field', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const deepObj = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    for (const field of ['type', 'user_id', 'date', 'year', 'month', 'id', 'published_at', 'trigger', 'attempt', 'extra']) {
      for (const v of [deep, deepObj]) {
        wellFormed(parseMessage(`{"type":"daily_summary","user_id":"${U}","date":"2024-01-15","${field}":${v}}`));
        wellFormed(parseMessage(`{"type":"monthly_summary","user_id":"${U}","year":2024,"month":1,"${field}":${v}}`));
      }
    }
    wellFormed(parseMessage(deep));
  });

  it('a string and its UTF-8 bytes always get the same verdict', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), messageArb.map(toWire), fc.jsonValue().map((v) => JSON.stringify(v))), (s) => {
        const a = parseMessage(s);
        const b = parseMessage(utf8(s));
        assert.equal(a.ok, b.ok, s);
        if (!a.ok && !b.ok) assert.equal(a.reason, b.reason, s);
        if (a.ok && b.ok) assert.deepStrictEqual(a.message, b.message);
      }),
      RUNS,
    );
  });
});

// ---- job identity ----------------------------------------------------------------------------

describe('jobKey', () => {
  it('is the same for two messages of the same job, whatever their id, trigger, attempt, time, extras or UUID case', () => {
    fc.assert(
      fc.property(messageArb, optionalArb, extrasArb, fc.boolean(), (m, opt, extras, upper) => {
        const { id: _i, published_at: _p, trigger: _t, attempt: _a, ...core } = m;
        const user_id = upper ? m.user_id.toUpperCase() : m.user_id.toLowerCase();
        const other = withFields({ ...core, ...opt, user_id }, extras) as JobMessage;
        assert.equal(jobKey(other), jobKey(m));
      }),
      RUNS,
    );
    const a = dailyMessage(U, '2024-01-15', { trigger: 'schedule' });
    const b = dailyMessage(U.toUpperCase(), '2024-01-15', { trigger: 'diary_saved' });
    assert.notEqual(a.id, b.id);
    assert.equal(jobKey(a), jobKey(b));
    assert.equal(jobKey(monthlyMessage(U, 2024, 1, { trigger: 'manual' })), jobKey({ ...monthlyMessage(U, 2024, 1), attempt: 3 }));
  });

  it('differs across users, dates, months and types: equal keys mean the same (user, type, day or month)', () => {
    const identity = (m: JobMessage): string =>
      m.type === 'daily_summary' ? `d ${m.user_id.toLowerCase()} ${m.date}` : `m ${m.user_id.toLowerCase()} ${m.year} ${m.month}`;
    // Small pools so that collisions of the identity actually happen.
    const user = fc.constantFrom(U, U.toUpperCase(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff');
    const small = fc.oneof(
      fc.tuple(user, fc.constantFrom('2024-01-01', '2024-01-10', '2024-10-01', '2024-02-29')).map(([u, d]) => dailyMessage(u, d) as JobMessage),
      fc.tuple(user, fc.constantFrom(2024, 2025), fc.constantFrom(1, 10, 11)).map(([u, y, mo]) => monthlyMessage(u, y, mo) as JobMessage),
    );
    fc.assert(
      fc.property(fc.oneof(small, messageArb), fc.oneof(small, messageArb), (a, b) => {
        assert.equal(jobKey(a) === jobKey(b), identity(a) === identity(b), `${jobKey(a)} vs ${jobKey(b)}`);
      }),
      { numRuns: 1000 },
    );
    const other = '223e4567-e89b-12d3-a456-426614174000';
    assert.notEqual(jobKey(dailyMessage(U, '2024-01-15')), jobKey(dailyMessage(other, '2024-01-15')));
    assert.notEqual(jobKey(dailyMessage(U, '2024-01-15')), jobKey(dailyMessage(U, '2024-01-16')));
    assert.notEqual(jobKey(monthlyMessage(U, 2024, 1)), jobKey(monthlyMessage(U, 2024, 11)));
    assert.notEqual(jobKey(monthlyMessage(U, 2024, 1)), jobKey(monthlyMessage(U, 2025, 1)));
    assert.notEqual(jobKey(monthlyMessage(U, 2024, 1)), jobKey(dailyMessage(U, '2024-01-01')));
  });
});

// ---- traceparent (issue 18) ------------------------------------------------------------------

describe('traceparent: optional, and a malformed one never rejects the job', () => {
  it('a valid message with any traceparent value is accepted, the value kept as it came', () => {
    fc.assert(
      fc.property(messageArb, wireValueArb, (m, traceparent) => {
        const r = parseMessage(JSON.stringify({ ...m, traceparent }));
        assert.ok(r.ok, JSON.stringify(r));
        assert.deepEqual((r.message as { traceparent?: unknown }).traceparent, traceparent);
      }),
      RUNS,
    );
    for (const traceparent of ['00-abc', '', 'x'.repeat(10_000), 42, null, { a: 1 }]) {
      assert.ok(parseMessage(wire(DAILY, { traceparent })).ok, JSON.stringify(traceparent));
    }
  });

  it('the encoder writes it as the field of that name', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const m = { ...dailyMessage(U, '2024-01-15'), traceparent: tp };
    const r = parseMessage(toWire(m));
    assert.ok(r.ok);
    assert.equal(JSON.parse(toWire(m)).traceparent, tp);
    assert.equal(r.message.traceparent, tp);
  });
});
