// fast-check requests for every request message the descriptors declare: arbitrary field values
// (NUL and control characters, lone surrogates, huge and odd numbers, the egress table's URLs …)
// and arbitrary JSON bodies. The server never answers 5xx, and a rejected call leaves every row
// of the user-data tables as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { startTestApi, type TestApi } from '../server/harness.js';
import { allRpcs, type Rpc } from './descriptors.js';
import { callRpc } from './rpc-call.js';
import { allRows } from './user-data.js';

const NASTY = [
  '', ' ', '\u0000', 'a\u0000b', '\u0007\u001b[2J', '\u0085', '\uFEFF', '\uD800', '\uDFFF', 'é', '日記', '\u202E',
  '2024-02-30', '2024-03-05', '0001-01-01', '9999-12-31', '2024-03', '2024-13', 'x@y.z', 'A@B.CO', 'a\u0000@b.co',
  'http://127.0.0.1/v1', 'http://2130706433/v1', 'http://[::ffff:127.0.0.1]/v1', 'https://api.example.com/v1#x',
  'openai', 'extractive', 'Asia/Tokyo', 'Mars/Base', '1700000000000-0', "'; DROP TABLE users; --", '%00', '../../etc/passwd',
];

const CONTROLS = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b'];

function scalar(field: DescField): fc.Arbitrary<unknown> {
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list') return fc.constant(undefined);
  const type = field.scalar;
  switch (type) {
    case ScalarType.STRING:
      return fc.oneof(
        { arbitrary: fc.constantFrom(...NASTY), weight: 3 },
        // A plausible value with a control character put in: what slips past a shape check.
        { arbitrary: fc.tuple(fc.constantFrom(...NASTY), fc.constantFrom(...CONTROLS), fc.nat()).map(([v, c, at]) => `${v.slice(0, at % (v.length + 1))}${c}${v.slice(at % (v.length + 1))}`), weight: 3 },
        { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
        { arbitrary: fc.string(), weight: 1 },
        { arbitrary: fc.constant('x'.repeat(100_001)), weight: 1 },
      );
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), fc.constantFrom(0, 1, 12, 13, 2024, -1));
    default:
      return fc.oneof(fc.integer(), fc.constant(0));
  }
}

/** A valid value for a field, by its name and type, so that one mutated field reaches the database. */
function baseline(field: DescField): unknown {
  if (field.fieldKind === 'list') return [];
  if (field.fieldKind !== 'scalar') return undefined;
  if (field.scalar === ScalarType.BOOL) return true;
  if (field.scalar !== ScalarType.STRING) return { year: 2024, month: 3, limit: 10 }[field.name] ?? 1;
  const values: Record<string, string> = {
    date: '2024-03-05', month: '2024-03', content: 'A day by the river.', email: 'fuzz@example.com',
    // extractive: any model may be stored, so a bad model name reaches the database.
    password: 'long enough password', name: 'Fuzz', timezone: 'UTC', llm_provider: 'extractive', llm_model: 'model-x',
    llm_base_url: 'https://api.example.com/v1', llm_api_key: 'sk-fuzz',
  };
  return values[field.name] ?? 'x';
}

/** Fields of `schema` that requests set (messages, maps and enums are left out), one member per oneof. */
function fieldsOf(schema: DescMessage): DescField[] {
  const seen = new Set<string>();
  return schema.fields.filter((f) => {
    if (f.fieldKind === 'message' || f.fieldKind === 'map' || f.fieldKind === 'enum') return false;
    if (!f.oneof) return true;
    if (seen.has(f.oneof.name)) return false;
    seen.add(f.oneof.name);
    return true;
  });
}

function valueArbitrary(field: DescField): fc.Arbitrary<unknown> {
  return field.fieldKind === 'list' ? fc.array(scalar(field), { maxLength: 5 }) : scalar(field);
}

/** A valid request with one or two of its fields replaced by arbitrary values (or dropped). */
function mutatedRequest(schema: DescMessage): fc.Arbitrary<Record<string, unknown>> {
  const fields = fieldsOf(schema);
  const valid = Object.fromEntries(fields.map((f) => [f.jsonName, baseline(f)]));
  if (fields.length === 0) return fc.constant(valid);
  const mutation = fc.integer({ min: 0, max: fields.length - 1 }).chain((i) => {
    const field = fields[i] as DescField;
    return fc.option(valueArbitrary(field), { nil: undefined, freq: 8 }).map((v) => [field.jsonName, v] as const);
  });
  return fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.uuid()).map(([changes, id]) => {
    const out: Record<string, unknown> = { ...valid };
    if (typeof out.email === 'string') out.email = `fuzz-${id}@example.com`; // a new account each time
    for (const [name, v] of changes) {
      if (v === undefined) delete out[name];
      else out[name] = v;
    }
    return out;
  });
}

/** Every field arbitrary or absent. */
function arbitraryRequest(schema: DescMessage): fc.Arbitrary<Record<string, unknown>> {
  const fields = fieldsOf(schema);
  return fc.tuple(...fields.map((f) => fc.option(valueArbitrary(f), { nil: undefined }))).map((values) => {
    const out: Record<string, unknown> = {};
    values.forEach((v, i) => {
      if (v !== undefined) out[(fields[i] as DescField).jsonName] = v;
    });
    return out;
  });
}

let api: TestApi;
let rpcs: Rpc[];
let token: string;
before(async () => {
  api = await startTestApi({
    runtime: { resolve: async () => [{ address: '93.184.216.34', family: 4 }] },
    rateLimits: { authPerAddress: { capacity: 100_000, refillMs: 1 }, summaryRequests: { capacity: 100_000, refillMs: 1 } },
  });
  rpcs = await allRpcs();
  token = (await api.newUser({ admin: true })).token;
});
after(() => api.close());

const RUNS = { mutated: 40, arbitrary: 10 };

for (const kind of ['mutated', 'arbitrary'] as const) {
  test(`${kind} request messages: never a 5xx, and a refused call changes no row`, async () => {
    let calls = 0;
    for (const rpc of rpcs) {
      const requests = kind === 'mutated' ? mutatedRequest(rpc.method.input) : arbitraryRequest(rpc.method.input);
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          const before = await allRows(api.testDb.db);
          const answer = await callRpc(api.baseUrl, rpc, JSON.stringify(request), rpc.public ? undefined : token);
          calls++;
          assert.ok(answer.status < 500 && answer.code !== 'internal' && answer.code !== 'unknown', `${rpc.name} ${JSON.stringify(request).slice(0, 300)} → ${answer.status} ${answer.text}`);
          if (answer.status !== 200) assert.equal(await allRows(api.testDb.db), before, `${rpc.name} was refused (${answer.code}) but changed rows`);
        }),
        { numRuns: RUNS[kind] },
      );
    }
    process.stdout.write(`# fuzz: ${rpcs.length} request messages × ${RUNS[kind]} ${kind} requests = ${calls} calls\n`);
  });
}

test('arbitrary JSON bodies: never a 5xx', async () => {
  let calls = 0;
  for (const rpc of rpcs) {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string()), async (body) => {
        const answer = await callRpc(api.baseUrl, rpc, body, rpc.public ? undefined : token);
        calls++;
        assert.ok(answer.status < 500, `${rpc.name} ${body.slice(0, 200)} → ${answer.status} ${answer.text}`);
      }),
      { numRuns: 10 },
    );
  }
  process.stdout.write(`# fuzz: ${rpcs.length} RPCs × 10 arbitrary bodies = ${calls} calls\n`);
});
