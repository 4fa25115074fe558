// A user's own LLM endpoint, through the real job path (API → Redis → subscriber → row): its
// failures reach the user as a class only (HTTP status, refused/unreachable, timeout, bad
// response), never its body or the socket's error text; redirects are not followed; the system
// key is never sent to it; a name that rebinds to loopback after saving is refused when connecting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSubscriber, type SubscriberRole } from '../../src/cmd/subscriber.js';
import { freePort } from '../../src/cmd/embedded-redis.js';
import { createLogger } from '../../src/logger.js';
import { DiaryService, SummaryStatus } from '../../src/gen/diary/v1/diaries_pb.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { SummaryService } from '../../src/gen/diary/v1/summaries_pb.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { eventually, startTestApi, type TestApi } from '../server/harness.js';

const SECRET_BODY = 'INTERNAL-SERVICE-SECRET-BODY';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** An "internal service" the user's URL points at, answering every request with `status` and a secret body. */
async function internal(status: number, headers: Record<string, string> = {}): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`${SECRET_BODY} status ${status}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

let llm: FakeLlm;
let api: TestApi;
let sub: SubscriberRole;
const servers: Server[] = [];
let rebindTo = '93.184.216.34';
before(async () => {
  llm = await startFakeLlm({ apiKey: 'sk-system-secret-key' });
  api = await startTestApi({
    env: {
      LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_API_KEY: 'sk-system-secret-key', LLM_MODEL: 'fake-model',
      LLM_MAX_RETRIES: '0', LLM_TIMEOUT: '2s', LLM_ALLOWED_HOSTS: 'trusted.internal',
    },
    runtime: {
      resolve: async (hostname) => [{ address: hostname === 'trusted.internal' ? '127.0.0.1' : rebindTo, family: 4 }],
    },
  });
  sub = await startSubscriber(api.rt, logger);
});
after(async () => {
  await sub.stop(1000);
  await api.close();
  await llm.close();
  for (const s of servers) s.close();
});

/** Points the user at `baseUrl`, saves a diary, and waits for its summary to settle. */
async function summaryWith(baseUrl: string, date: string): Promise<{ status: SummaryStatus; error: string }> {
  const user = await api.newUser({ timezone: 'UTC' });
  await api.client(SettingsService, user.token).updateSettings({ llmProvider: 'openai', llmModel: 'user-model', llmBaseUrl: baseUrl });
  await api.client(DiaryService, user.token).saveDiary({ date, content: 'A diary long enough for a summary of the day.' });
  const summaries = api.client(SummaryService, user.token);
  return eventually(async () => {
    const s = await summaries.getDailySummary({ date });
    // A transient failure shows as queued with its error (it is retried).
    const settled = s.status === SummaryStatus.FAILED || s.status === SummaryStatus.DONE || (s.status === SummaryStatus.QUEUED && s.error !== '');
    return settled ? s : undefined;
  }, 20_000, `the summary of ${date}`);
}

test('an HTTP error of the user endpoint shows its status only, never its body', async () => {
  for (const status of [400, 401, 404, 500, 503]) {
    const svc = await internal(status);
    servers.push(svc.server);
    const s = await summaryWith(`http://trusted.internal:${svc.port}/v1`, '2024-04-01');
    assert.match(s.error, new RegExp(`HTTP ${status}`), s.error);
    assert.ok(!s.error.includes(SECRET_BODY), s.error);
    assert.ok(svc.hits() >= 1);
  }
});

test('a redirect is not followed: the target of Location gets no request', async () => {
  const target = await internal(200);
  const redirector = await internal(302, { location: `http://127.0.0.1:${target.port}/v1/chat/completions` });
  servers.push(target.server, redirector.server);
  const s = await summaryWith(`http://trusted.internal:${redirector.port}/v1`, '2024-04-02');
  assert.equal(s.status, SummaryStatus.FAILED);
  assert.match(s.error, /HTTP 302/);
  assert.equal(target.hits(), 0);
});

test('a closed port shows "refused or unreachable", not the socket error (no port scanning)', async () => {
  const port = await freePort();
  const s = await summaryWith(`http://trusted.internal:${port}/v1`, '2024-04-03');
  assert.match(s.error, /connection refused, reset or unreachable/);
  assert.doesNotMatch(s.error, /ECONNREFUSED|127\.0\.0\.1|other side closed/);
});

test('the system key is never sent to a user endpoint, and a name that rebinds to loopback after saving is refused', async () => {
  const svc = await internal(500);
  servers.push(svc.server);
  rebindTo = '93.184.216.34';
  const user = await api.newUser({ timezone: 'UTC' });
  await api.client(SettingsService, user.token).updateSettings({ llmProvider: 'openai', llmModel: 'user-model', llmBaseUrl: `http://rebind.example.com:${svc.port}/v1` });
  rebindTo = '127.0.0.1';
  await api.client(DiaryService, user.token).saveDiary({ date: '2024-04-04', content: 'A diary long enough for a summary of the day.' });
  const s = await eventually(async () => {
    const r = await api.client(SummaryService, user.token).getDailySummary({ date: '2024-04-04' });
    return r.status === SummaryStatus.FAILED ? r : undefined;
  }, 20_000, 'the refused summary');
  assert.match(s.error, /egress.*rebind\.example\.com resolves to a non-public address/);
  assert.equal(svc.hits(), 0);
  // Everything that reached a user endpoint above came without the system key.
  assert.equal(llm.calls, 0);
});
