// Summary settings: auto daily/monthly, LLM provider/model/base URL, and a write-only API key.
import { useEffect, useState, type FormEvent } from 'react';
import type { Settings, UpdateSettingsRequestSchema } from '../../../src/gen/diary/v1/settings_pb';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { errorMessage, settingsClient } from '../api';
import { useI18n } from '../i18n';
import { Notice } from '../components/Notice';

type Update = MessageInitShape<typeof UpdateSettingsRequestSchema>;

export function SettingsPage() {
  const { t } = useI18n();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [autoDaily, setAutoDaily] = useState(true);
  const [autoMonthly, setAutoMonthly] = useState(true);
  const [provider, setProvider] = useState('');
  const [model, setModel] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [timezone, setTimezone] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  function apply(s: Settings) {
    setSettings(s);
    setAutoDaily(s.autoSummaryDaily);
    setAutoMonthly(s.autoSummaryMonthly);
    setProvider(s.llmProvider);
    setModel(s.llmModel);
    setBaseUrl(s.llmBaseUrl);
    setTimezone(s.timezone);
  }

  useEffect(() => {
    settingsClient.getSettings({}).then(apply, (err: unknown) => setError(errorMessage(err)));
  }, []);

  async function update(req: Update, message: string) {
    setBusy(true);
    setError(null);
    setInfo(null);
    try {
      apply(await settingsClient.updateSettings(req));
      setApiKey('');
      setInfo(message);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!settings) return;
    const req: Update = {};
    if (autoDaily !== settings.autoSummaryDaily) req.autoSummaryDaily = autoDaily;
    if (autoMonthly !== settings.autoSummaryMonthly) req.autoSummaryMonthly = autoMonthly;
    if (provider !== settings.llmProvider) req.llmProvider = provider;
    if (model !== settings.llmModel) req.llmModel = model;
    if (baseUrl !== settings.llmBaseUrl) req.llmBaseUrl = baseUrl;
    if (timezone !== settings.timezone) req.timezone = timezone;
    // The key is write-only: sent only when a new one was typed.
    if (apiKey !== '') req.llmApiKey = apiKey;
    void update(req, t.settingsSaved);
  }

  if (!settings && !error) return <p className="loading">{t.loading}</p>;

  return (
    <div className="settings-page" data-testid="settings-page">
      <div className="page-head">
        <h1>{t.settingsTitle}</h1>
      </div>
      <form className="card settings-card" onSubmit={submit}>
        <label className="check">
          <input type="checkbox" checked={autoDaily} onChange={(e) => setAutoDaily(e.target.checked)} data-testid="auto-daily" />
          <span>{t.autoDaily}</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={autoMonthly} onChange={(e) => setAutoMonthly(e.target.checked)} data-testid="auto-monthly" />
          <span>{t.autoMonthly}</span>
        </label>
        <label className="field">
          <span>{t.timezone}</span>
          <input type="text" value={timezone} onChange={(e) => setTimezone(e.target.value)} data-testid="settings-timezone" />
        </label>
        <fieldset className="fieldset">
          <legend>LLM</legend>
          <label className="field">
            <span>{t.provider}</span>
            <select value={provider} onChange={(e) => setProvider(e.target.value)} data-testid="llm-provider">
              <option value="">{t.providerDefault}</option>
              <option value="extractive">{t.providerExtractive}</option>
              <option value="openai">{t.providerOpenai}</option>
              {provider !== '' && provider !== 'extractive' && provider !== 'openai' && <option value={provider}>{provider}</option>}
            </select>
          </label>
          <label className="field">
            <span>{t.llmModel}</span>
            <input type="text" value={model} onChange={(e) => setModel(e.target.value)} placeholder="gpt-4o-mini" data-testid="llm-model" />
            <small className="hint">{t.emptyMeansDefault}</small>
          </label>
          <label className="field">
            <span>{t.baseUrl}</span>
            <input
              type="url"
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
              placeholder="https://api.openai.com/v1"
              data-testid="llm-base-url"
            />
            <small className="hint">{t.emptyMeansDefault}</small>
          </label>
          <label className="field">
            <span>{t.apiKey}</span>
            <input
              type="password"
              autoComplete="off"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              placeholder={t.apiKeyPlaceholder}
              data-testid="llm-api-key"
            />
            <small className="hint" data-testid="api-key-state" data-has-key={settings?.hasApiKey ? 'true' : 'false'}>
              {settings?.hasApiKey ? t.apiKeyStored : t.apiKeyNone}
            </small>
          </label>
          {settings?.hasApiKey && (
            <button
              type="button"
              className="btn btn-danger-ghost"
              disabled={busy}
              onClick={() => void update({ llmApiKey: '' }, t.settingsSaved)}
              data-testid="remove-api-key"
            >
              {t.removeKey}
            </button>
          )}
        </fieldset>
        {error && (
          <Notice kind="error" testId="settings-error">
            {error}
          </Notice>
        )}
        {info && (
          <Notice kind="ok" testId="settings-saved">
            {info}
          </Notice>
        )}
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !settings} data-testid="settings-save">
            {t.save}
          </button>
        </div>
      </form>
    </div>
  );
}
