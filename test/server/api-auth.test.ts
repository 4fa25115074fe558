// Tokens (missing, forged, expired), input limits, and the auth service: sign-up, sign-in,
// rate limits and REGISTER_KEY.
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { SignJWT } from 'jose';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
import { AuthService } from '../../src/gen/diary/v1/auth_pb.js';
import { mintToken } from '../../src/server/tokens.js';
import { dayOffset, JWT_SECRET, startTestApi, type TestApi, codeOf as code } from './harness.js';

describe('tokens and input limits', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('a missing token is Unauthenticated, over gRPC and JSON', async () => {
    assert.equal(await code(api.grpcClient(DiaryService).getDiary({ date: dayOffset(-1) })), Code.Unauthenticated);
    const res = await fetch(`${api.baseUrl}/diary.v1.DiaryService/GetDiary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ date: dayOffset(-1) }),
    });
    assert.equal(res.status, 401);
  });

  test('a token signed with another secret is Unauthenticated', async () => {
    const user = await api.newUser();
    const forged = await mintToken('another-secret-another-secret-another-secret', { userId: user.id, admin: true });
    assert.equal(await code(api.client(DiaryService, forged).getDiary({ date: dayOffset(-1) })), Code.Unauthenticated);
  });

  test('an expired token is Unauthenticated', async () => {
    const user = await api.newUser();
    const expired = await mintToken(JWT_SECRET, { userId: user.id, admin: false }, { now: new Date(Date.now() - 3600_000), ttlSeconds: 60 });
    const err = await api.client(DiaryService, expired).getDiary({ date: dayOffset(-1) }).catch((e: unknown) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError);
    assert.equal(err.code, Code.Unauthenticated);
    assert.match(err.rawMessage, /expired/);
  });

  test('an unsigned ("alg": "none") or otherwise-shaped token is Unauthenticated', async () => {
    const user = await api.newUser();
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: user.id, iss: 'diary-events', aud: 'diary-events-api', exp: 9999999999 })).toString('base64url');
    assert.equal(await code(api.client(DiaryService, `${header}.${payload}.`).getDiary({ date: dayOffset(-1) })), Code.Unauthenticated);
    const noAudience = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user.id).setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    assert.equal(await code(api.client(DiaryService, noAudience).getDiary({ date: dayOffset(-1) })), Code.Unauthenticated);
  });

  test('a token of a deleted user is Unauthenticated', async () => {
    const user = await api.newUser();
    await api.testDb.db.query('DELETE FROM users WHERE id = $1', [user.id]);
    assert.equal(await code(api.client(DiaryService, user.token).getDiary({ date: dayOffset(-1) })), Code.Unauthenticated);
  });

  test('bad dates are InvalidArgument', async () => {
    const user = await api.newUser();
    const diaries = api.client(DiaryService, user.token);
    for (const date of ['2024-02-30', '2024-13-01', '24-01-01', '', '2024-01-01T00:00:00Z', '0001-01-01']) {
      assert.equal(await code(diaries.saveDiary({ date, content: 'x' })), Code.InvalidArgument, date);
      assert.equal(await code(diaries.getDiary({ date })), Code.InvalidArgument, date);
    }
    assert.equal(await code(diaries.listDiaries({ year: 2024, month: 13 })), Code.InvalidArgument);
  });

  test('content over 100,000 characters is InvalidArgument with a clear message; exactly 100,000 is fine', async () => {
    const user = await api.newUser();
    const diaries = api.client(DiaryService, user.token);
    const err = await diaries.saveDiary({ date: dayOffset(-1), content: 'あ'.repeat(100_001) }).catch((e: unknown) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError);
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.rawMessage, /too long.*100,000 characters/);
    const ok = await diaries.saveDiary({ date: dayOffset(-1), content: 'あ'.repeat(100_000) });
    assert.equal(ok.diary?.content.length, 100_000);
  });
});

describe('accounts', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({
      env: { REGISTER_KEY: 'let-me-in' },
      rateLimits: { signInBackoff: { free: 3, baseMs: 60_000 }, authPerAddress: { capacity: 1000, refillMs: 1000 } },
    });
  });
  after(() => api.close());

  test('sign up (with REGISTER_KEY), sign in, and Me', async () => {
    const auth = api.client(AuthService);
    const up = await auth.signUp({ email: 'Alice@Example.com', password: 'correct horse', name: 'Alice', timezone: 'Europe/Paris', registerKey: 'let-me-in' });
    assert.ok(up.token);
    assert.equal(up.user?.email, 'alice@example.com');
    assert.equal(up.user?.timezone, 'Europe/Paris');
    assert.equal(up.user?.admin, false);
    const inResp = await auth.signIn({ email: 'alice@example.com', password: 'correct horse' });
    const me = await api.client(AuthService, inResp.token).me({});
    assert.equal(me.id, up.user?.id);
    // The token works on the other services.
    const saved = await api.client(DiaryService, inResp.token).saveDiary({ date: dayOffset(-1), content: 'hello' });
    assert.equal(saved.diary?.content, 'hello');
    // The hash is scrypt, not the password.
    const [row] = await api.testDb.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [me.id]);
    assert.match(row?.password_hash ?? '', /^scrypt\$/);
    assert.doesNotMatch(row?.password_hash ?? '', /correct horse/);
  });

  test('sign-up without or with a wrong REGISTER_KEY is PermissionDenied; duplicates AlreadyExists; weak input InvalidArgument', async () => {
    const auth = api.client(AuthService);
    assert.equal(await code(auth.signUp({ email: 'bob@example.com', password: 'long enough' })), Code.PermissionDenied);
    assert.equal(await code(auth.signUp({ email: 'bob@example.com', password: 'long enough', registerKey: 'nope' })), Code.PermissionDenied);
    await auth.signUp({ email: 'bob@example.com', password: 'long enough', registerKey: 'let-me-in' });
    assert.equal(await code(auth.signUp({ email: 'BOB@example.com', password: 'long enough', registerKey: 'let-me-in' })), Code.AlreadyExists);
    assert.equal(await code(auth.signUp({ email: 'carol@example.com', password: 'short', registerKey: 'let-me-in' })), Code.InvalidArgument);
    assert.equal(await code(auth.signUp({ email: 'not-an-email', password: 'long enough', registerKey: 'let-me-in' })), Code.InvalidArgument);
    assert.equal(await code(auth.signUp({ email: 'dan@example.com', password: 'long enough', timezone: 'Mars/Olympus', registerKey: 'let-me-in' })), Code.InvalidArgument);
  });

  test('wrong password and unknown email get the same answer; attempts per email are rate-limited', async () => {
    const auth = api.client(AuthService);
    await auth.signUp({ email: 'eve@example.com', password: 'the right one', registerKey: 'let-me-in' });
    const wrong = await auth.signIn({ email: 'eve@example.com', password: 'the wrong one' }).catch((e: unknown) => ConnectError.from(e));
    const unknown = await auth.signIn({ email: 'nobody@example.com', password: 'the wrong one' }).catch((e: unknown) => ConnectError.from(e));
    assert.ok(wrong instanceof ConnectError && unknown instanceof ConnectError);
    assert.equal(wrong.code, Code.Unauthenticated);
    assert.equal(unknown.code, Code.Unauthenticated);
    assert.equal(wrong.rawMessage, unknown.rawMessage);
    await auth.signIn({ email: 'EVE@example.com', password: 'the wrong one' }).catch(() => {});
    await auth.signIn({ email: 'eve@example.com', password: 'the wrong one' }).catch(() => {});
    // Three attempts used up (the email is matched case-insensitively): even the right password waits now.
    assert.equal(await code(auth.signIn({ email: 'eve@example.com', password: 'the right one' })), Code.ResourceExhausted);
    // Another email is not affected.
    await auth.signIn({ email: 'alice@example.com', password: 'correct horse' });
  });

  test('attempts per client address are rate-limited', async () => {
    const strict = await startTestApi({ rateLimits: { authPerAddress: { capacity: 2, refillMs: 60_000 } } });
    try {
      const auth = strict.client(AuthService);
      await auth.signIn({ email: 'a@example.com', password: 'whatever1' }).catch(() => {});
      await auth.signIn({ email: 'b@example.com', password: 'whatever1' }).catch(() => {});
      assert.equal(await code(auth.signIn({ email: 'c@example.com', password: 'whatever1' })), Code.ResourceExhausted);
      assert.equal(await code(auth.signUp({ email: 'd@example.com', password: 'whatever1' })), Code.ResourceExhausted);
    } finally {
      await strict.close();
    }
  });
});
