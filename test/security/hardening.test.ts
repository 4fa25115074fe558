// The probe's weak spots, each kept fixed: control characters name their field (400, never 500),
// bodies that are not UTF-8 are refused, API answers are never cached, the sign-in backoff is per
// email *and* address (the owner is not locked out by an attacker elsewhere) and shared by every
// server replica through Redis, and /metrics and /readyz can leave the public port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import { addressKey } from '../../src/server/address-key.js';
import { startApiServer } from '../../src/server/api-server.js';
import { AuthService } from '../../src/gen/diary/v1/auth_pb.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { eventually, JWT_SECRET, startTestApi, type TestApi } from '../server/harness.js';
import { allRpcs, type Rpc } from './descriptors.js';
import { callRpc } from './rpc-call.js';
import { allRows } from './user-data.js';

/** A Connect JSON call from a chosen local address (127.0.0.x all reach a server on 127.0.0.1). */
function callFrom(localAddress: string, port: number, path: string, body: object): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'POST', localAddress, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(15_000) },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('request hygiene', () => {
  let api: TestApi;
  let rpcs: Rpc[];
  let token: string;
  before(async () => {
    api = await startTestApi({ runtime: { resolve: async () => [{ address: '93.184.216.34', family: 4 }] } });
    rpcs = await allRpcs();
    token = (await api.newUser()).token;
  });
  after(() => api.close());
  const rpc = (name: string) => {
    const found = rpcs.find((r) => r.name.endsWith(`/${name}`));
    assert.ok(found, name);
    return found;
  };

  test('NUL and control characters in llm_model, llm_base_url, llm_api_key, and the sign-up name and email: 400 naming the field', async () => {
    const cases: Array<[string, object, boolean, RegExp]> = [
      ['UpdateSettings', { llmModel: 'gpt\u0000-4o' }, false, /^llm_model must not contain control characters/],
      ['UpdateSettings', { llmModel: 'gpt\u001b[31m' }, false, /^llm_model/],
      ['UpdateSettings', { llmBaseUrl: 'https://api.example.com/\u0000v1' }, false, /^llm_base_url must not contain control characters/],
      ['UpdateSettings', { llmApiKey: 'sk-\u0000x' }, false, /^llm_api_key must not contain control characters/],
      ['SignUp', { email: 'a\u0000b@example.com', password: 'long enough pw' }, true, /^email must not contain control characters/],
      ['SignUp', { email: 'a\u0007b@example.com', password: 'long enough pw' }, true, /^email/],
      ['SignUp', { email: 'nul-name@example.com', password: 'long enough pw', name: 'Eve\u0000' }, true, /^name must not contain control characters/],
      ['SignUp', { email: 'c1-name@example.com', password: 'long enough pw', name: 'Eve\u009b' }, true, /^name/],
      ['SignIn', { email: 'x\u0000@example.com', password: 'whatever1' }, true, /^email/],
    ];
    const before = await allRows(api.testDb.db);
    for (const [name, body, pub, message] of cases) {
      const answer = await callRpc(api.baseUrl, rpc(name), JSON.stringify(body), pub ? undefined : token);
      assert.equal(answer.status, 400, `${name} ${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.code, 'invalid_argument');
      assert.match((JSON.parse(answer.text) as { message: string }).message, message);
    }
    assert.equal(await allRows(api.testDb.db), before);
  });

  test('a body that is not UTF-8 is refused with 400 and stores nothing (raw bytes)', async () => {
    const before = await allRows(api.testDb.db);
    const bodies = [
      Buffer.concat([Buffer.from('{"date":"2024-03-05","content":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]), // Latin-1 é
      Buffer.concat([Buffer.from('{"date":"2024-03-05","content":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"date":"2024-03-05","content":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // CESU surrogate
      Buffer.concat([Buffer.from('{"date":"2024-03-05","content":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong "/"
    ];
    for (const body of bodies) {
      const answer = await callRpc(api.baseUrl, rpc('SaveDiary'), body, token);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.code, 'invalid_argument');
    }
    assert.equal(await allRows(api.testDb.db), before);
    // Valid UTF-8 (and U+FFFD written as such) is stored as sent.
    const ok = await callRpc(api.baseUrl, rpc('SaveDiary'), Buffer.from('{"date":"2024-03-05","content":"café \uFFFD 日記"}'), token);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /café \uFFFD 日記/);
  });

  test('a binary (protobuf) body with invalid UTF-8 is invalid_argument, not internal, over Connect and gRPC, and stores nothing', async () => {
    const before = await allRows(api.testDb.db);
    // SaveDiaryRequest { date = 1; content = 2 } with the content's bytes not UTF-8.
    const message = Buffer.concat([Buffer.from([0x0a, 10]), Buffer.from('2024-03-05'), Buffer.from([0x12, 3, 0xff, 0xfe, 0x80])]);
    const connect = await fetch(`${api.baseUrl}/diary.v1.DiaryService/SaveDiary`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
      body: message,
    });
    const connectBody = (await connect.json()) as { code: string; message: string };
    assert.equal(connect.status, 400, JSON.stringify(connectBody));
    assert.equal(connectBody.code, 'invalid_argument');
    assert.match(connectBody.message, /utf-8/i);

    const session = http2Connect(api.baseUrl);
    try {
      const grpcStatus = await new Promise<string | undefined>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/diary.v1.DiaryService/SaveDiary',
          'content-type': 'application/grpc',
          te: 'trailers',
          authorization: `Bearer ${token}`,
        });
        let status: string | undefined;
        stream.on('response', (headers) => { status = headers['grpc-status'] as string | undefined; }); // trailers-only answer
        stream.on('trailers', (trailers) => { status = trailers['grpc-status'] as string | undefined; });
        stream.on('error', reject);
        stream.on('data', () => undefined);
        stream.on('end', () => resolve(status));
        const envelope = Buffer.alloc(5);
        envelope.writeUInt32BE(message.byteLength, 1);
        stream.end(Buffer.concat([envelope, message]));
      });
      assert.equal(grpcStatus, String(Code.InvalidArgument));
    } finally {
      session.close();
    }
    assert.equal(await allRows(api.testDb.db), before);
  });

  test('API answers, errors included, carry Cache-Control: no-store', async () => {
    for (const [name, t] of [['Me', token], ['Me', undefined], ['GetSettings', token]] as const) {
      const res = await fetch(`${api.baseUrl}/${rpc(name).name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) },
        body: '{}',
      });
      assert.equal(res.headers.get('cache-control'), 'no-store', `${name} ${res.status}`);
    }
  });
});

describe('sign-in backoff per email and address, shared by replicas', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ rateLimits: { signInBackoff: { free: 3, baseMs: 60_000 } } });
  });
  after(() => api.close());

  test("ten wrong passwords from an attacker do not lock the owner out from the owner's address", async () => {
    const port = api.server.port;
    const path = '/diary.v1.AuthService/SignIn';
    const up = await api.client(AuthService).signUp({ email: 'owner@example.com', password: 'the right one' });
    assert.ok(up.token);
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await callFrom('127.0.0.2', port, path, { email: 'owner@example.com', password: `guess ${i}` });
      codes.push((JSON.parse(r.text) as { code: string }).code);
    }
    assert.deepEqual(codes.slice(0, 3), ['unauthenticated', 'unauthenticated', 'unauthenticated']);
    assert.deepEqual(new Set(codes.slice(3)), new Set(['resource_exhausted']), codes.join(','));
    // Even the right password waits from the attacker's address …
    const attacker = await callFrom('127.0.0.2', port, path, { email: 'owner@example.com', password: 'the right one' });
    assert.equal(attacker.status, 429);
    // … while the owner, from another address, signs in at once.
    const owner = await callFrom('127.0.0.3', port, path, { email: 'owner@example.com', password: 'the right one' });
    assert.equal(owner.status, 200, owner.text);
    assert.match(owner.text, /"token"/);
  });

  test('a second server replica on the same Redis sees the same backoff', async () => {
    const replica = await startApiServer({ rt: api.rt, jwtSecret: JWT_SECRET, port: 0, host: '127.0.0.1', webRoot: null, rateLimits: { signInBackoff: { free: 3, baseMs: 60_000 } } });
    try {
      const path = '/diary.v1.AuthService/SignIn';
      for (const port of [api.server.port, replica.port, api.server.port]) {
        assert.equal((await callFrom('127.0.0.4', port, path, { email: 'shared@example.com', password: 'wrong one' })).status, 401);
      }
      assert.equal((await callFrom('127.0.0.4', replica.port, path, { email: 'shared@example.com', password: 'wrong one' })).status, 429);
    } finally {
      await replica.close();
    }
  });

  test('the backoff doubles per failure up to its cap, and a success forgets it', async () => {
    let now = 5_000_000;
    const backoff = api.rt.messaging.limits.backoff('unit', { free: 2, baseMs: 1000, maxMs: 4000, now: () => now });
    assert.equal(await backoff.attempt('k'), 0);
    assert.equal(await backoff.attempt('k'), 0); // second failure: the next waits 1 s
    assert.equal(await backoff.attempt('k'), 1000);
    now += 1000;
    assert.equal(await backoff.attempt('k'), 0); // third: 2 s
    assert.equal(await backoff.attempt('k'), 2000);
    now += 2000;
    assert.equal(await backoff.attempt('k'), 0); // fourth: 4 s (the cap)
    now += 4000;
    assert.equal(await backoff.attempt('k'), 0); // fifth: still 4 s
    assert.equal(await backoff.attempt('k'), 4000);
    await backoff.succeeded('k');
    assert.equal(await backoff.attempt('k'), 0);
    assert.equal(await backoff.attempt('other'), 0, 'keys are independent');
  });
});

describe('METRICS_PORT for the server', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('when given, /metrics and /readyz are served there only; the API port keeps /healthz', async () => {
    const server = await startApiServer({ rt: api.rt, jwtSecret: JWT_SECRET, port: 0, host: '127.0.0.1', webRoot: null, metricsPort: 0 });
    try {
      assert.ok(server.metricsPort !== undefined && server.metricsPort !== server.port);
      const apiBase = `http://127.0.0.1:${server.port}`;
      const opsBase = `http://127.0.0.1:${server.metricsPort}`;
      assert.equal((await fetch(`${apiBase}/metrics`)).status, 404);
      assert.equal((await fetch(`${apiBase}/readyz`)).status, 404);
      assert.equal((await fetch(`${apiBase}/healthz`)).status, 200);
      const metrics = await fetch(`${opsBase}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /diary_/);
      assert.equal((await fetch(`${opsBase}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
    // Without it (the harness's server), everything stays on the API port.
    assert.equal((await fetch(`${api.baseUrl}/metrics`)).status, 200);
  });
});

describe('LLM_ALLOWED_MODELS when saving settings', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({
      env: { LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://127.0.0.1:9/v1', LLM_MODEL: 'house-model', LLM_ALLOWED_MODELS: 'cheap-model' },
      runtime: { resolve: async () => [{ address: '93.184.216.34', family: 4 }] },
    });
  });
  after(() => api.close());

  test('on the system endpoint and key only LLM_MODEL and the allowed models; with an own key or URL any', async () => {
    const user = await api.newUser();
    const settings = api.client(SettingsService, user.token);
    const refused = async (change: Parameters<typeof settings.updateSettings>[0]) => {
      const err = await settings.updateSettings(change).catch((e: unknown) => ConnectError.from(e));
      assert.ok(err instanceof ConnectError, JSON.stringify(change));
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.rawMessage, /^llm_model: the model "premium-model" is not offered .*house-model, cheap-model/);
    };
    assert.equal((await settings.updateSettings({ llmModel: 'cheap-model' })).llmModel, 'cheap-model');
    assert.equal((await settings.updateSettings({ llmModel: 'house-model' })).llmModel, 'house-model');
    await refused({ llmModel: 'premium-model' });
    assert.equal((await settings.getSettings({})).llmModel, 'house-model');
    // Their own key pays: any model.
    assert.equal((await settings.updateSettings({ llmModel: 'premium-model', llmApiKey: 'sk-own-key' })).llmModel, 'premium-model');
    // Removing the key would put that model on the system key: refused, and nothing changes.
    await refused({ llmApiKey: '' });
    assert.equal((await settings.getSettings({})).hasApiKey, true);
    // Their own endpoint: any model, without a key.
    assert.equal((await settings.updateSettings({ llmBaseUrl: 'https://llm.example.com/v1', llmApiKey: '' })).hasApiKey, false);
    // Back to the system endpoint with that model: refused.
    await refused({ llmBaseUrl: '' });
  });
});

describe('the limits of several server replicas and client addresses', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ rateLimits: { summaryRequests: { capacity: 2, refillMs: 600_000 } } });
  });
  after(() => api.close());

  test('manual summary requests of one user are counted across replicas', async () => {
    const replica = await startApiServer({ rt: api.rt, jwtSecret: JWT_SECRET, port: 0, host: '127.0.0.1', webRoot: null, rateLimits: { summaryRequests: { capacity: 2, refillMs: 600_000 } } });
    try {
      const user = await api.newUser();
      const ask = async (port: number) =>
        (await fetch(`http://127.0.0.1:${port}/diary.v1.SummaryService/RequestSummary`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
          body: JSON.stringify({ date: '2024-03-05' }),
        })).status;
      assert.equal(await ask(api.server.port), 404); // no diary that day: counted all the same
      assert.equal(await ask(replica.port), 404);
      assert.equal(await ask(api.server.port), 429);
      assert.equal(await ask(replica.port), 429);
    } finally {
      await replica.close();
    }
  });

  test('client addresses are keyed as IPv4 (mapped ones included) or by their IPv6 /64', () => {
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('unknown'), 'unknown');
  });
});

test('without Redis the limited calls answer unavailable within a bound, never unchecked; they work again when it is back', { timeout: 60_000 }, async () => {
  const redis = await startRedisServer();
  const api = await startTestApi({ redisUrl: redis.url });
  let redisDown = false;
  try {
    const user = await api.newUser();
    const signIn = () => callFrom('127.0.0.1', api.server.port, '/diary.v1.AuthService/SignIn', { email: 'someone@example.com', password: 'wrong one' });
    assert.equal((await signIn()).status, 401);
    await redis.stop();
    redisDown = true;
    const started = Date.now();
    const down = await signIn();
    assert.equal(down.status, 503, down.text);
    assert.equal((JSON.parse(down.text) as { code: string }).code, 'unavailable');
    const summary = await fetch(`${api.baseUrl}/diary.v1.SummaryService/RequestSummary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ date: '2024-03-05' }),
      signal: AbortSignal.timeout(15_000),
    });
    assert.equal(summary.status, 503);
    assert.ok(Date.now() - started < 15_000, 'answered within the limits’ timeout, not held until Redis returns');
    await redis.start();
    redisDown = false;
    await eventually(async () => ((await signIn()).status === 401 ? true : undefined), 20_000, 'sign-in after Redis is back');
  } finally {
    if (redisDown) await redis.start(); // the API closes its connections cleanly only with Redis there
    await api.close();
    await redis.destroy();
  }
});
