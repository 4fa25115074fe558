// Settings: the API key is write-only (never returned), stored encrypted, refused without SECRET_KEY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { AuthService } from '../../src/gen/diary/v1/auth_pb.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { SECRET_KEY, startTestApi, type TestApi, codeOf as code } from './harness.js';

const API_KEY = 'sk-test-very-secret-key-4242';

describe('settings with SECRET_KEY', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('defaults for a user without settings', async () => {
    const user = await api.newUser();
    const s = await api.client(SettingsService, user.token).getSettings({});
    assert.equal(s.autoSummaryDaily, true);
    assert.equal(s.autoSummaryMonthly, true);
    assert.equal(s.llmProvider, '');
    assert.equal(s.hasApiKey, false);
  });

  test('the key is stored encrypted and never returned; an empty string removes it', async () => {
    const user = await api.newUser();
    const settings = api.client(SettingsService, user.token);
    const updated = await settings.updateSettings({ llmProvider: 'openai', llmModel: 'gpt-4o-mini', llmBaseUrl: 'https://api.openai.com/v1', llmApiKey: API_KEY });
    assert.equal(updated.hasApiKey, true);
    assert.equal(updated.llmProvider, 'openai');
    assert.ok(!JSON.stringify(updated).includes(API_KEY));
    // Over plain JSON too: the key appears in no response.
    const res = await fetch(`${api.baseUrl}/diary.v1.SettingsService/GetSettings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: '{}',
    });
    const text = await res.text();
    assert.ok(!text.includes(API_KEY));
    assert.match(text, /"hasApiKey":true/);

    const [row] = await api.testDb.db.query<{ api_key_encrypted: string }>('SELECT api_key_encrypted FROM user_llms WHERE user_id = $1', [user.id]);
    assert.ok(row);
    assert.notEqual(row.api_key_encrypted, API_KEY);
    assert.ok(!row.api_key_encrypted.includes(API_KEY));
    assert.equal(new SecretBox(SECRET_KEY).decrypt(row.api_key_encrypted), API_KEY);

    // Other fields can change without touching the key.
    assert.equal((await settings.updateSettings({ autoSummaryMonthly: false })).hasApiKey, true);
    const cleared = await settings.updateSettings({ llmApiKey: '' });
    assert.equal(cleared.hasApiKey, false);
    assert.equal(cleared.autoSummaryMonthly, false);
    assert.equal(cleared.llmModel, 'gpt-4o-mini');
  });

  test('bad values are InvalidArgument; the time zone is the one Me reports', async () => {
    const user = await api.newUser();
    const settings = api.client(SettingsService, user.token);
    assert.equal(await code(settings.updateSettings({ llmProvider: 'skynet' })), Code.InvalidArgument);
    assert.equal(await code(settings.updateSettings({ llmBaseUrl: 'file:///etc/passwd' })), Code.InvalidArgument);
    assert.equal(await code(settings.updateSettings({ llmBaseUrl: 'https://user:pw@example.com/v1' })), Code.InvalidArgument);
    assert.equal(await code(settings.updateSettings({ timezone: 'Nowhere/Land' })), Code.InvalidArgument);
    assert.equal((await settings.updateSettings({ timezone: 'America/New_York' })).timezone, 'America/New_York');
    assert.equal((await api.client(AuthService, user.token).me({})).timezone, 'America/New_York');
  });
});

test('without SECRET_KEY storing a key is refused (FailedPrecondition) and nothing is stored', async () => {
  const api = await startTestApi({ env: { SECRET_KEY: '' } });
  try {
    const user = await api.newUser();
    const settings = api.client(SettingsService, user.token);
    const err = await settings.updateSettings({ llmApiKey: API_KEY, autoSummaryDaily: false }).catch((e: unknown) => ConnectError.from(e));
    assert.ok(err instanceof ConnectError);
    assert.equal(err.code, Code.FailedPrecondition);
    assert.match(err.rawMessage, /SECRET_KEY/);
    assert.equal((await api.testDb.db.query('SELECT 1 FROM user_llms WHERE user_id = $1', [user.id])).length, 0);
    // Everything else still works.
    assert.equal((await settings.updateSettings({ autoSummaryDaily: false })).autoSummaryDaily, false);
  } finally {
    await api.close();
  }
});
