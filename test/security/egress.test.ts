// The egress table: every spelling of an internal address a user might save as their LLM base URL
// is refused when saved (UpdateSettings → InvalidArgument naming the reason) and when connecting
// (the egress dispatcher, after DNS); public ones and hosts in LLM_ALLOWED_HOSTS pass. Names are
// resolved by an injected resolver (offline here), which also plays a DNS rebinding.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { request } from 'undici';
import { egressDispatcher } from '../../src/egress/egress-dispatcher.js';
import { EgressPolicy, isEgressRefused, type ResolvedAddress, type Resolver } from '../../src/egress/egress-policy.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startTestApi, type TestApi } from '../server/harness.js';

const PUBLIC_V4 = '93.184.216.34';
const PUBLIC_V6 = '2606:2800:220:1:248:1893:25c8:1946';

/** Names of the table, as a DNS server would answer them. */
const DNS: Record<string, string[]> = {
  'api.example.com': [PUBLIC_V4, PUBLIC_V6],
  'internal.example.com': ['10.1.2.3'],
  'metadata.google.internal': ['169.254.169.254'],
  'mixed.example.com': [PUBLIC_V4, '127.0.0.1'],
  'six.example.com': ['fd00::1'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
};
const resolver: Resolver = async (hostname) => {
  const answers = DNS[hostname.toLowerCase()];
  if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answers.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/** Base URLs refused, with what the refusal must say. */
export const REFUSED: ReadonlyArray<[string, RegExp]> = [
  ['http://127.0.0.1:8080/v1', /127\.0\.0\.1 is a loopback address/],
  ['http://127.1/v1', /127\.0\.0\.1 is a loopback/],
  ['http://2130706433/v1', /127\.0\.0\.1 is a loopback/],
  ['http://0x7f.1/v1', /127\.0\.0\.1 is a loopback/],
  ['http://0x7f000001/v1', /127\.0\.0\.1 is a loopback/],
  ['http://017700000001/v1', /127\.0\.0\.1 is a loopback/],
  ['http://0177.0.0.1/v1', /127\.0\.0\.1 is a loopback/],
  ['http://127.0.0.1./v1', /127\.0\.0\.1 is a loopback/],
  ['http://127.255.255.254/v1', /loopback/],
  ['http://localhost:11434/v1', /localhost is a loopback name/],
  ['http://LOCALHOST/v1', /localhost is a loopback name/],
  ['http://ollama.localhost/v1', /loopback name/],
  ['http://[::1]/v1', /::1 is a loopback address/],
  ['http://[0:0:0:0:0:0:0:1]/v1', /::1 is a loopback/],
  ['http://[::]/v1', /unspecified/],
  ['http://[::ffff:127.0.0.1]/v1', /IPv4-mapped/],
  ['http://[::ffff:7f00:1]/v1', /IPv4-mapped/],
  ['http://[0:0:0:0:0:ffff:169.254.169.254]/v1', /IPv4-mapped/],
  ['http://[::127.0.0.1]/v1', /IPv4-compatible/],
  ['http://[64:ff9b::7f00:1]/v1', /non-public address \(rfc6052\)/],
  ['http://[2002:7f00:1::]/v1', /non-public address \(6to4\)/],
  ['http://[2001::1]/v1', /teredo/],
  ['http://[fe80::1]/v1', /link-local/],
  ['http://[fc00::1]/v1', /unique-local/],
  ['http://[fd00:ec2::254]/latest/meta-data', /unique-local/],
  ['http://[ff02::1]/v1', /multicast/],
  ['http://[2001:db8::1]/v1', /reserved/],
  ['http://169.254.169.254/latest/meta-data/', /link-local address \(cloud metadata/],
  ['http://100.100.100.200/v1', /carrier-grade NAT/],
  ['http://100.64.0.1/v1', /carrier-grade NAT/],
  ['http://10.0.0.1/v1', /private/],
  ['http://172.16.0.1/v1', /private/],
  ['http://172.31.255.255/v1', /private/],
  ['http://192.168.1.1/v1', /private/],
  ['http://0.0.0.0/v1', /unspecified/],
  ['http://0/v1', /unspecified/],
  ['http://224.0.0.1/v1', /multicast/],
  ['http://255.255.255.255/v1', /broadcast/],
  ['http://240.0.0.1/v1', /reserved/],
  ['http://192.0.2.1/v1', /reserved/],
  ['http://198.18.0.1/v1', /reserved/],
  ['http://internal.example.com/v1', /internal\.example\.com resolves to a non-public address/],
  ['http://metadata.google.internal/computeMetadata/v1', /resolves to a non-public address/],
  ['http://mixed.example.com/v1', /resolves to a non-public address/],
  ['http://six.example.com/v1', /resolves to a non-public address/],
  ['http://mapped.example.com/v1', /resolves to a non-public address/],
  ['https://api.example.com/v1#', /fragment/],
  ['https://api.example.com/v1#/x', /fragment/],
  ['https://api.example.com/v1?', /query string/],
  ['https://api.example.com/v1?api-version=1', /query string/],
  ['https://user:pw@api.example.com/v1', /credentials/],
  ['https://key@api.example.com/v1', /credentials/],
  ['file:///etc/passwd', /http:\/\/ or https:\/\//],
  ['gopher://api.example.com/', /http:\/\/ or https:\/\//],
  ['not a url', /http\(s\) URL/],
  ['http://api.exa\u0000mple.com/v1', /control characters/],
  ['http://api.example.com/v\n1', /control characters/],
  ['http://127.0.0.1\t/v1', /control characters/],
];

/** Base URLs accepted (public, or unknown now: decided when connecting). */
export const ACCEPTED: readonly string[] = [
  'https://api.example.com/v1',
  `http://${PUBLIC_V4}/v1`,
  `https://[${PUBLIC_V6}]/v1`,
  'https://not-resolvable-now.example.org/v1',
];

describe('the egress policy (unit)', () => {
  const policy = new EgressPolicy({ resolve: resolver, allowedHosts: ['localhost:11434', 'internal.example.com', '[::1]:8000'] });
  const strict = new EgressPolicy({ resolve: resolver });

  test('every form of the table is refused with its reason; public URLs pass', async () => {
    for (const [url, reason] of REFUSED) {
      await assert.rejects(strict.checkForSave(url), (e) => isEgressRefused(e) && reason.test((e as Error).message), url);
    }
    for (const url of ACCEPTED) await strict.checkForSave(url);
  });

  test('LLM_ALLOWED_HOSTS lets exactly the listed host (and port) through', async () => {
    await policy.checkForSave('http://localhost:11434/v1');
    await policy.checkForSave('http://internal.example.com/v1');
    await policy.checkForSave('http://internal.example.com:8080/v1');
    await policy.checkForSave('http://[::1]:8000/v1');
    await assert.rejects(policy.checkForSave('http://localhost:11435/v1'), isEgressRefused);
    await assert.rejects(policy.checkForSave('http://localhost/v1'), isEgressRefused);
    await assert.rejects(policy.checkForSave('http://[::1]/v1'), isEgressRefused);
    await assert.rejects(policy.checkForSave('http://127.0.0.1:11434/v1'), isEgressRefused);
    // The shape rules hold for allowed hosts too.
    await assert.rejects(policy.checkForSave('http://localhost:11434/v1#x'), /fragment/);
  });
});

describe('the egress dispatcher (connect time, after DNS)', () => {
  let llm: FakeLlm;
  let port: string;
  before(async () => {
    llm = await startFakeLlm();
    port = new URL(llm.url).port;
  });
  after(() => llm.close());

  const post = (dispatcher: ReturnType<typeof egressDispatcher>, url: string) =>
    request(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, dispatcher });

  test('a name that resolved to a public address when saved and to loopback now (rebinding) is refused', async () => {
    let answer = PUBLIC_V4;
    const rebinding: Resolver = async () => [{ address: answer, family: 4 }];
    const policy = new EgressPolicy({ resolve: rebinding });
    await policy.checkForSave(`http://rebind.example.com:${port}/v1`);
    answer = '127.0.0.1';
    await assert.rejects(post(egressDispatcher(policy), `http://rebind.example.com:${port}/v1/chat/completions`), (e) =>
      isEgressRefused(e) && /resolves to a non-public address/.test((e as Error).message),
    );
    assert.equal(llm.calls, 0);
  });

  test('IP literals of the table are refused before any connection; an allowed host connects', async () => {
    const policy = new EgressPolicy({ resolve: resolver, allowedHosts: [`llm.example.com:${port}`] });
    const dispatcher = egressDispatcher(policy);
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1', '127.1']) {
      await assert.rejects(post(dispatcher, `http://${host}:${port}/v1/chat/completions`), isEgressRefused, host);
    }
    assert.equal(llm.calls, 0);
    DNS['llm.example.com'] = ['127.0.0.1'];
    const res = await post(dispatcher, `http://llm.example.com:${port}/v1/chat/completions`);
    await res.body.text();
    assert.equal(llm.calls, 1);
  });
});

describe('UpdateSettings applies the table', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ runtime: { resolve: resolver }, env: { LLM_ALLOWED_HOSTS: 'ollama.internal:11434' } });
  });
  after(() => api.close());

  test('each refused URL is InvalidArgument naming llm_base_url and the reason, and is not stored', async () => {
    const user = await api.newUser();
    const settings = api.client(SettingsService, user.token);
    await settings.updateSettings({ llmBaseUrl: 'https://api.example.com/v1' });
    for (const [url, reason] of REFUSED) {
      const err = await settings.updateSettings({ llmBaseUrl: url }).catch((e: unknown) => ConnectError.from(e));
      assert.ok(err instanceof ConnectError, url);
      assert.equal(err.code, Code.InvalidArgument, url);
      assert.match(err.rawMessage, /^llm_base_url /, url);
      assert.match(err.rawMessage, reason, url);
    }
    assert.equal((await settings.getSettings({})).llmBaseUrl, 'https://api.example.com/v1');
    for (const url of [...ACCEPTED, 'http://ollama.internal:11434/v1']) assert.equal((await settings.updateSettings({ llmBaseUrl: url })).llmBaseUrl, url);
  });
});
