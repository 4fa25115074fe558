// The authentication matrix: every RPC the descriptors declare (except sign-up and sign-in) against
// every kind of bad token is 401 unauthenticated, and does nothing. A new RPC joins the matrix by
// being declared in a .proto file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { MAX_TOKEN_AGE_SECONDS, mintToken } from '../../src/server/tokens.js';
import { JWT_SECRET, startTestApi, type TestApi } from '../server/harness.js';
import { allRpcs, type Rpc } from './descriptors.js';
import { callRpc } from './rpc-call.js';

const KEY = new TextEncoder().encode(JWT_SECRET);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Each bad token, made for a user that exists (so only the token's fault can refuse it). */
const BAD_TOKENS: Record<string, (userId: string) => Promise<string | undefined>> = {
  'no token': async () => undefined,
  'bad signature': (sub) => mintToken('another-secret-another-secret-another-secret', { userId: sub, admin: true }),
  'alg none': async (sub) =>
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, admin: true, iss: 'diary-events', aud: 'diary-events-api', iat: Math.floor(Date.now() / 1000), exp: 9_999_999_999 })}.`,
  expired: (sub) => mintToken(JWT_SECRET, { userId: sub, admin: true }, { now: new Date(Date.now() - 7_200_000), ttlSeconds: 60 }),
  'no exp': (sub) =>
    new SignJWT({ admin: true }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('diary-events').setAudience('diary-events-api').setIssuedAt().sign(KEY),
  'no sub': () =>
    new SignJWT({ admin: true }).setProtectedHeader({ alg: 'HS256' }).setIssuer('diary-events').setAudience('diary-events-api').setIssuedAt().setExpirationTime('1h').sign(KEY),
  'older than the maximum age': (sub) =>
    mintToken(JWT_SECRET, { userId: sub, admin: true }, { now: new Date(Date.now() - (MAX_TOKEN_AGE_SECONDS + 3600) * 1000), ttlSeconds: MAX_TOKEN_AGE_SECONDS * 2 }),
  'unknown user': () => mintToken(JWT_SECRET, { userId: randomUUID(), admin: true }),
};

let api: TestApi;
let rpcs: Rpc[];
before(async () => {
  api = await startTestApi();
  rpcs = await allRpcs();
});
after(() => api.close());

test('every protected RPC × every bad token → 401 unauthenticated', async () => {
  const admin = await api.newUser({ admin: true });
  const protectedRpcs = rpcs.filter((r) => !r.public);
  assert.ok(protectedRpcs.length >= 13, `only ${protectedRpcs.length} protected RPCs found`);
  const before = await api.testDb.db.query('SELECT (SELECT count(*) FROM diaries) AS d, (SELECT count(*) FROM user_llms) AS l, (SELECT count(*) FROM users) AS u');
  let cases = 0;
  for (const [kind, make] of Object.entries(BAD_TOKENS)) {
    const token = await make(admin.id);
    for (const rpc of protectedRpcs) {
      const answer = await callRpc(api.baseUrl, rpc, '{}', token);
      assert.equal(answer.status, 401, `${rpc.name} with ${kind}: ${answer.text}`);
      assert.equal(answer.code, 'unauthenticated', `${rpc.name} with ${kind}`);
      cases++;
    }
  }
  assert.equal(cases, protectedRpcs.length * Object.keys(BAD_TOKENS).length);
  assert.deepEqual(await api.testDb.db.query('SELECT (SELECT count(*) FROM diaries) AS d, (SELECT count(*) FROM user_llms) AS l, (SELECT count(*) FROM users) AS u'), before);
  process.stdout.write(`# authentication matrix: ${protectedRpcs.length} RPCs × ${Object.keys(BAD_TOKENS).length} tokens = ${cases} cases\n`);
  // And the same admin with a good token gets through every one of them (the matrix is not vacuous).
  const good = await mintToken(JWT_SECRET, { userId: admin.id, admin: true });
  for (const rpc of protectedRpcs) assert.notEqual((await callRpc(api.baseUrl, rpc, '{}', good)).status, 401, rpc.name);
});

test('sign-up and sign-in are the only RPCs reachable without a token', () => {
  assert.deepEqual(rpcs.filter((r) => r.public).map((r) => r.name).sort(), ['diary.v1.AuthService/SignIn', 'diary.v1.AuthService/SignUp']);
});
