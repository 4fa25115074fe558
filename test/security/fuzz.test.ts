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

function scalar(field: DescField): fc.Arbitrary<unknown> {
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list') return fc.constant(undefined);
  const type = field.scalar;
  switch (type) {
    case ScalarType.STRING:
      return fc.oneof(fc.constantFrom(...NASTY), fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ minLength: 100_001, maxLength: 100_010 }));
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

/** An arbitrary request of `schema` as a JSON object (one member per oneof, optional fields absent or set). */
function requestArbitrary(schema: DescMessage): fc.Arbitrary<Record<string, unknown>> {
  const entries: Array<fc.Arbitrary<[string, unknown] | undefined>> = [];
  for (const field of schema.fields) {
    if (field.fieldKind === 'message' || field.fieldKind === 'map' || field.fieldKind === 'enum') continue;
    const value = field.fieldKind === 'list' ? fc.array(scalar(field), { maxLength: 5 }) : scalar(field);
    entries.push(fc.option(value.map((v): [string, unknown] => [field.jsonName, v]), { nil: undefined }));
  }
  return fc.tuple(...entries).map((pairs) => {
    const out: Record<string, unknown> = {};
    const oneofs = new Set<string>();
    for (const pair of pairs) {
      if (!pair) continue;
      const field = schema.fields.find((f) => f.jsonName === pair[0]);
      if (field?.oneof) {
        if (oneofs.has(field.oneof.name)) continue;
        oneofs.add(field.oneof.name);
      }
      out[pair[0]] = pair[1];
    }
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

const RUNS = 25;

test('arbitrary request messages: never a 5xx, and a refused call changes no row', async () => {
  let calls = 0;
  for (const rpc of rpcs) {
    await fc.assert(
      fc.asyncProperty(requestArbitrary(rpc.method.input), async (request) => {
        const before = await allRows(api.testDb.db);
        const answer = await callRpc(api.baseUrl, rpc, JSON.stringify(request), rpc.public ? undefined : token);
        calls++;
        assert.ok(answer.status < 500 && answer.code !== 'internal' && answer.code !== 'unknown', `${rpc.name} ${JSON.stringify(request).slice(0, 300)} → ${answer.status} ${answer.text}`);
        if (answer.status !== 200) assert.equal(await allRows(api.testDb.db), before, `${rpc.name} was refused (${answer.code}) but changed rows`);
      }),
      { numRuns: RUNS },
    );
  }
  process.stdout.write(`# fuzz: ${rpcs.length} request messages × ${RUNS} runs = ${calls} calls\n`);
});

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
