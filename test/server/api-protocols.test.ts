// One server, three protocols: gRPC over h2c, Connect JSON over HTTP/1.1 (plain fetch, as curl
// would), plus the ops paths, the static fallback and the security headers on every response.
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { createClient } from '@connectrpc/connect';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
import { AuthService } from '../../src/gen/diary/v1/auth_pb.js';
import { dayOffset, startTestApi, type TestApi } from './harness.js';

const web = mkdtempSync(join(tmpdir(), 'diary-web-'));
mkdirSync(join(web, 'assets'));
writeFileSync(join(web, 'index.html'), '<!doctype html><title>diary</title>');
writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)');

let api: TestApi;
before(async () => {
  api = await startTestApi({ webRoot: web });
});
after(async () => {
  await api.close();
  rmSync(web, { recursive: true, force: true });
});

function post(path: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  return fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function assertSecurityHeaders(res: Response) {
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
}

describe('protocols', () => {
  test('a gRPC client (HTTP/2 cleartext) saves and reads a diary', async () => {
    const user = await api.newUser();
    const diaries = api.grpcClient(DiaryService, user.token);
    const saved = await diaries.saveDiary({ date: dayOffset(-3), content: 'written over gRPC' });
    assert.equal(saved.diary?.content, 'written over gRPC');
    const read = await diaries.getDiary({ date: dayOffset(-3) });
    assert.equal(read.diary?.content, 'written over gRPC');
  });

  test('a plain JSON POST saves a diary that the gRPC client then reads', async () => {
    const user = await api.newUser();
    const res = await post('/diary.v1.DiaryService/SaveDiary', { date: dayOffset(-4), content: 'written with curl' }, user.token);
    assert.equal(res.status, 200);
    assertSecurityHeaders(res);
    const body = (await res.json()) as { diary: { date: string; content: string } };
    assert.deepEqual([body.diary.date, body.diary.content], [dayOffset(-4), 'written with curl']);
    const read = await api.grpcClient(DiaryService, user.token).getDiary({ date: dayOffset(-4) });
    assert.equal(read.diary?.content, 'written with curl');
  });

  test('gRPC-Web over HTTP/1.1 works too', async () => {
    const user = await api.newUser();
    const client = createClient(
      AuthService,
      createGrpcWebTransport({
        baseUrl: api.baseUrl,
        httpVersion: '1.1',
        interceptors: [(next) => (req) => { req.header.set('authorization', `Bearer ${user.token}`); return next(req); }],
      }),
    );
    assert.equal((await client.me({})).id, user.id);
  });

  test('unknown JSON fields are rejected', async () => {
    const user = await api.newUser();
    const res = await post('/diary.v1.DiaryService/SaveDiary', { date: dayOffset(-2), content: 'x', mood: 'happy' }, user.token);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_argument');
    assert.match(body.message, /mood/);
  });

  test('a request body over the cap is refused before it is parsed', async () => {
    const user = await api.newUser();
    const res = await post('/diary.v1.DiaryService/SaveDiary', { date: dayOffset(-2), content: 'x'.repeat(2 * 1024 * 1024) }, user.token);
    const body = (await res.json()) as { code: string };
    assert.equal(body.code, 'resource_exhausted');
  });

  test('ops paths answer on the API port, with the security headers', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${api.baseUrl}${path}`);
      assert.equal(res.status, 200, path);
      assertSecurityHeaders(res);
    }
  });

  test('the web app: files, index.html for client routes, 404 for a missing asset', async () => {
    const index = await fetch(`${api.baseUrl}/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /<title>diary<\/title>/);
    assertSecurityHeaders(index);
    const route = await fetch(`${api.baseUrl}/calendar/2024-01`);
    assert.match(await route.text(), /<title>diary<\/title>/);
    const asset = await fetch(`${api.baseUrl}/assets/app-1234.js`);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${api.baseUrl}/assets/gone.js`)).status, 404);
    const traversal = await fetch(`${api.baseUrl}/%2e%2e/%2e%2e/etc/passwd`);
    assert.doesNotMatch(await traversal.text(), /root:/);
  });
});

describe('without a web build', () => {
  test('a small text page says how to get one', async () => {
    const bare = await startTestApi({ webRoot: null });
    try {
      const res = await fetch(`${bare.baseUrl}/`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /web app has not been built/);
      assertSecurityHeaders(res);
    } finally {
      await bare.close();
    }
  });
});
