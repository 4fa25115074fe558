// The authorization matrix: user B calls every RPC the descriptors declare with the keys of user
// A's data (A's date, A's month, A's email …). No answer shows any of A's data, no answer is a 500,
// the admin RPCs are PermissionDenied for B, and afterwards every row of A is exactly as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import { saveDailyOutcome } from '../../src/db/summaries.js';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { startTestApi, type TestApi } from '../server/harness.js';
import { allRpcs } from './descriptors.js';
import { callRpc } from './rpc-call.js';
import { userRows } from './user-data.js';

const A_DATE = '2024-03-05';
const A_TEXT = 'A-SECRET-DIARY written by user A only, long enough to be summarized.';
const A_SUMMARY = 'A-SECRET-SUMMARY of the day';

let api: TestApi;
before(async () => {
  api = await startTestApi({ runtime: { resolve: async () => [{ address: '93.184.216.34', family: 4 }] } });
});
after(() => api.close());

/** A's key for a field, by its name and type: the values an attacker would try. */
function valueFor(field: DescField, a: { email: string }): unknown {
  if (field.fieldKind === 'list') return field.name === 'ids' ? ['1700000000000-0'] : [];
  if (field.fieldKind !== 'scalar') return undefined;
  const isString = field.scalar === ScalarType.STRING;
  switch (field.name) {
    case 'date':
      return A_DATE;
    case 'year':
      return 2024;
    case 'month':
      return isString ? A_DATE.slice(0, 7) : 3;
    case 'email':
      return a.email;
    case 'password':
      return 'not-the-password-of-a';
    case 'content':
      return 'B writes on the same date';
    case 'llm_base_url':
      return 'https://b.example.com/v1';
    default:
      return undefined;
  }
}

/** A request of `schema` aimed at A's data, as Connect JSON; one member per oneof. */
function requestFor(schema: DescMessage, a: { email: string }): string {
  const json: Record<string, unknown> = {};
  const oneofsSet = new Set<string>();
  for (const field of schema.fields) {
    const value = valueFor(field, a);
    if (value === undefined) continue;
    if (field.oneof) {
      if (oneofsSet.has(field.oneof.name)) continue;
      oneofsSet.add(field.oneof.name);
    }
    json[field.jsonName] = value;
  }
  return JSON.stringify(json);
}

test("user B against every RPC aimed at user A's data: nothing of A is shown or changed", async () => {
  const a = await api.newUser({ timezone: 'Asia/Tokyo' });
  const b = await api.newUser();
  const [aRow] = await api.testDb.db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [a.id]);
  const aEmail = aRow?.email ?? '';
  const saved = await api.client(DiaryService, a.token).saveDiary({ date: A_DATE, content: A_TEXT });
  const [version] = await api.testDb.db.query<{ version: number }>('SELECT version FROM diaries WHERE user_id = $1', [a.id]);
  await saveDailyOutcome(api.testDb.db, a.id, A_DATE, version?.version ?? 0, { status: 'done', summary: A_SUMMARY, model: 'a-model', error: null });
  await api.client(SettingsService, a.token).updateSettings({ llmProvider: 'openai', llmModel: 'a-secret-model', llmBaseUrl: 'https://a-secret.example.com/v1', llmApiKey: 'sk-a-secret-key' });
  assert.equal(saved.diary?.content, A_TEXT);
  const secrets = [a.id, aEmail, 'A-SECRET', 'a-secret', 'sk-a-secret'];
  const before = await userRows(api.testDb.db, a.id);

  const rpcs = await allRpcs();
  const seen: string[] = [];
  for (const rpc of rpcs) {
    const answer = await callRpc(api.baseUrl, rpc, requestFor(rpc.method.input, { email: aEmail }), b.token);
    seen.push(`${rpc.name} → ${answer.code}`);
    assert.ok(answer.status < 500, `${rpc.name}: ${answer.status} ${answer.text}`);
    for (const s of secrets) assert.ok(!answer.text.includes(s), `${rpc.name} showed ${s}: ${answer.text.slice(0, 300)}`);
    if (rpc.service.typeName.endsWith('AdminService')) assert.equal(answer.code, 'permission_denied', rpc.name);
  }
  assert.deepEqual(await userRows(api.testDb.db, a.id), before, `A's rows changed after: ${seen.join(', ')}`);
  process.stdout.write(`# authorization matrix: user B × ${rpcs.length} RPCs aimed at user A's data\n# ${seen.join('\n# ')}\n`);
  // The matrix is not vacuous: A sees its own data through the same requests.
  const own = rpcs.find((r) => r.name === 'diary.v1.DiaryService/GetDiary');
  assert.ok(own);
  assert.match((await callRpc(api.baseUrl, own, requestFor(own.method.input, { email: aEmail }), a.token)).text, /A-SECRET-DIARY/);
});
