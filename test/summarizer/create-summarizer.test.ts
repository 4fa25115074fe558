// Choosing the summarizer: system defaults, per-user overrides, encrypted keys, caching.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { isPermanent } from '../../src/errors/job-errors.js';
import { EgressPolicy } from '../../src/egress/egress-policy.js';
import { clearSummarizerCache, createSummarizer, resolveUserSummarizer, userEgress, type SystemLlmOptions } from '../../src/summarizer/create-summarizer.js';
import type { SummaryInput } from '../../src/summarizer/summarizer.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { EN_DIARY } from './diaries.js';

const box = new SecretBox('create-summarizer-test-secret-key-0123456789');
const input: SummaryInput = { kind: 'daily', entries: [{ date: '2024-03-05', text: EN_DIARY }] };
const live = (): AbortSignal => new AbortController().signal;

describe('createSummarizer / resolveUserSummarizer', () => {
  let llm: FakeLlm;
  let other: FakeLlm;
  let system: SystemLlmOptions;
  before(async () => {
    llm = await startFakeLlm();
    other = await startFakeLlm();
  });
  after(async () => {
    await llm.close();
    await other.close();
  });
  beforeEach(() => {
    llm.reset();
    other.reset();
    clearSummarizerCache();
    system = { provider: 'openai', baseUrl: llm.url, apiKey: 'sk-system-key-abcdef123456', model: 'sys-model', maxRetries: 0 };
  });

  it('createSummarizer: extractive by default settings; openai without baseUrl or model is a clear error', () => {
    assert.equal(createSummarizer({ provider: 'extractive' }).provider, 'extractive');
    assert.throws(() => createSummarizer({ provider: 'openai', model: 'm' }), /needs LLM_BASE_URL/);
    assert.throws(() => createSummarizer({ provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }), /needs LLM_MODEL/);
    assert.equal(createSummarizer({ provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }).provider, 'openai');
  });

  it('no user row → the system LLM with the system key', async () => {
    const s = resolveUserSummarizer(system, null, box);
    const r = await s.summarize(input, live());
    assert.equal(r.model, 'sys-model');
    assert.equal(llm.requests[0]?.authorization, 'Bearer sk-system-key-abcdef123456');
  });

  it('users with no settings of their own share the system summarizer; own settings get another', async () => {
    const none = { provider: null, model: null, baseUrl: null, apiKeyEncrypted: null };
    const shared = resolveUserSummarizer(system, null, box);
    assert.equal(resolveUserSummarizer(system, none, box), shared);
    assert.equal(resolveUserSummarizer(system, { ...none }, box), shared);
    const own = resolveUserSummarizer(system, { ...none, model: 'user-model', apiKeyEncrypted: box.encrypt('sk-user-key-999') }, box);
    assert.notEqual(own, shared);
    assert.equal((await own.summarize(input, live())).model, 'user-model');
    // Other system options (another runtime) are never answered with this one's summarizer.
    const otherSystem = { ...system, model: 'other-sys-model' };
    assert.equal((await resolveUserSummarizer(otherSystem, none, box).summarize(input, live())).model, 'other-sys-model');
    assert.equal((await shared.summarize(input, live())).model, 'sys-model');
  });

  it("the user's non-null fields override: model and an encrypted key, decrypted for the request", async () => {
    const user = { provider: null, model: 'user-model', baseUrl: null, apiKeyEncrypted: box.encrypt('sk-user-key-999') };
    const r = await resolveUserSummarizer(system, user, box).summarize(input, live());
    assert.equal(r.model, 'user-model');
    assert.equal(llm.requests[0]?.body?.model, 'user-model');
    assert.equal(llm.requests[0]?.authorization, 'Bearer sk-user-key-999');
  });

  it("a user's own base URL without a key of their own never receives the system key", async () => {
    // The fake listens on loopback, which a user's URL may reach only when the operator allows it.
    const egress = userEgress(new EgressPolicy({ allowedHosts: [new URL(other.url).host] }));
    const user = { provider: 'openai', model: null, baseUrl: other.url, apiKeyEncrypted: null };
    await resolveUserSummarizer({ ...system, egress }, user, box).summarize(input, live());
    assert.equal(other.calls, 1);
    assert.equal(llm.calls, 0);
    assert.equal(other.requests[0]?.authorization, undefined);
  });

  it("a user's own base URL on loopback is refused when connecting unless its host is allowed; the system URL is trusted", async () => {
    const user = { provider: 'openai', model: 'any', baseUrl: other.url, apiKeyEncrypted: null };
    await assert.rejects(
      resolveUserSummarizer(system, user, box).summarize(input, live()),
      (e) => isPermanent(e) && /egress.*127\.0\.0\.1 is a loopback address/.test((e as Error).message),
    );
    assert.equal(other.calls, 0);
    // The operator's LLM_BASE_URL is on loopback too, and is used without a check.
    await resolveUserSummarizer(system, null, box).summarize(input, live());
    assert.equal(llm.calls, 1);
  });

  it('a stored base URL with a fragment or query is refused at job time (PermanentJobError), before any request', () => {
    for (const baseUrl of [`${other.url}#`, `${other.url}?x=1`]) {
      assert.throws(
        () => resolveUserSummarizer(system, { provider: 'openai', model: 'm', baseUrl, apiKeyEncrypted: null }, box),
        (e) => isPermanent(e) && /llm_base_url must not have a/.test((e as Error).message),
      );
    }
  });

  it('LLM_ALLOWED_MODELS: on the system endpoint and key only LLM_MODEL and the allowed models run; with an own key any model', async () => {
    const allowed = { ...system, allowedModels: ['cheap-model'] };
    const pick = (model: string, apiKeyEncrypted: string | null = null) => ({ provider: null, model, baseUrl: null, apiKeyEncrypted });
    assert.equal((await resolveUserSummarizer(allowed, pick('cheap-model'), box).summarize(input, live())).model, 'cheap-model');
    assert.equal((await resolveUserSummarizer(allowed, pick('sys-model'), box).summarize(input, live())).model, 'sys-model');
    assert.throws(
      () => resolveUserSummarizer(allowed, pick('expensive-model'), box),
      (e) => isPermanent(e) && /"expensive-model" is not offered.*sys-model, cheap-model/.test((e as Error).message),
    );
    assert.throws(() => resolveUserSummarizer(system, pick('cheap-model'), box), (e) => isPermanent(e));
    const own = await resolveUserSummarizer(system, pick('expensive-model', box.encrypt('sk-own')), box).summarize(input, live());
    assert.equal(own.model, 'expensive-model');
    assert.equal(llm.requests.at(-1)?.authorization, 'Bearer sk-own');
  });

  it('a user may choose the extractive provider over a system LLM', async () => {
    const s = resolveUserSummarizer(system, { provider: 'extractive', model: null, baseUrl: null, apiKeyEncrypted: null }, box);
    assert.equal(s.provider, 'extractive');
    assert.equal((await s.summarize(input, live())).model, 'extractive-v1');
    assert.equal(llm.calls, 0);
  });

  it('undecryptable stored key, missing SECRET_KEY, unknown provider, openai without a model: PermanentJobError', () => {
    const encrypted = box.encrypt('sk-user-key-999');
    const bad = { provider: null, model: null, baseUrl: null, apiKeyEncrypted: encrypted.slice(0, -4) + 'AAAA' };
    assert.throws(() => resolveUserSummarizer(system, bad, box), (e) => isPermanent(e) && /cannot be decrypted/.test((e as Error).message));
    const other = new SecretBox('a-different-secret-key-0123456789abcdef');
    assert.throws(() => resolveUserSummarizer(system, { ...bad, apiKeyEncrypted: encrypted }, other), (e) => isPermanent(e));
    assert.throws(() => resolveUserSummarizer(system, { ...bad, apiKeyEncrypted: encrypted }, null), (e) => isPermanent(e) && /SECRET_KEY/.test((e as Error).message));
    assert.throws(() => resolveUserSummarizer(system, { provider: 'gpt', model: null, baseUrl: null, apiKeyEncrypted: null }, box), (e) => isPermanent(e));
    assert.throws(
      () => resolveUserSummarizer({ provider: 'extractive' }, { provider: 'openai', model: null, baseUrl: 'http://127.0.0.1:1/v1', apiKeyEncrypted: null }, box),
      (e) => isPermanent(e) && /LLM_MODEL/.test((e as Error).message),
    );
  });

  it('caches by effective settings: same settings → same instance, changed settings → a new one', () => {
    const user = { provider: null, model: 'user-model', baseUrl: null, apiKeyEncrypted: box.encrypt('sk-a') };
    const a = resolveUserSummarizer(system, user, box);
    assert.equal(resolveUserSummarizer(system, { ...user }, box), a);
    assert.notEqual(resolveUserSummarizer(system, { ...user, model: 'other' }, box), a);
    assert.notEqual(resolveUserSummarizer(system, { ...user, apiKeyEncrypted: box.encrypt('sk-b') }, box), a);
    assert.equal(resolveUserSummarizer(system, null, box), resolveUserSummarizer({ ...system }, null, box));
  });
});
