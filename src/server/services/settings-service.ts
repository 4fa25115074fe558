// SettingsService: auto summaries on/off, the LLM (provider, model, base URL, key) and time zone.
// The API key is write-only: encrypted under SECRET_KEY before it reaches the database, refused
// when SECRET_KEY is unset, and never returned (only whether one is stored).
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { LLM_PROVIDERS } from '../../config.js';
import { setTimezone } from '../../db/accounts.js';
import type { Db } from '../../db/db.js';
import { readSettings, updateLlmSettings, type SettingsChange } from '../../db/settings.js';
import { SettingsService, type SettingsSchema } from '../../gen/diary/v1/settings_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { encryptApiKeyForStorage, type SecretBox } from '../../crypto/secret-box.js';
import { callerOf } from '../auth.js';
import { invalid, requireTimezone } from '../validate.js';

export interface SettingsServiceDeps {
  db: Db;
  /** null when SECRET_KEY is unset. */
  box: SecretBox | null;
}

const PROVIDERS: readonly string[] = LLM_PROVIDERS;

function text(value: string, field: string, max: number): string | null {
  const v = value.trim();
  if (v.length > max) throw invalid(`${field} is too long (at most ${max} characters)`);
  return v === '' ? null : v;
}

function baseUrl(value: string): string | null {
  const v = text(value, 'llm_base_url', 500);
  if (v === null) return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid('llm_base_url must be an http(s) URL such as https://api.openai.com/v1');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('llm_base_url must start with http:// or https://');
  if (url.username || url.password) throw invalid('llm_base_url must not contain credentials; set llm_api_key instead');
  return v;
}

export function settingsService(deps: SettingsServiceDeps): ServiceImpl<typeof SettingsService> {
  const { db } = deps;

  const current = async (userId: string): Promise<MessageInitShape<typeof SettingsSchema>> => {
    const row = await readSettings(db, userId);
    if (!row) throw new ConnectError('account not found', Code.NotFound);
    return {
      autoSummaryDaily: row.auto_summary_daily,
      autoSummaryMonthly: row.auto_summary_monthly,
      llmProvider: row.provider ?? '',
      llmModel: row.model ?? '',
      llmBaseUrl: row.base_url ?? '',
      hasApiKey: row.has_api_key,
      timezone: row.timezone ?? '',
    };
  };

  return {
    async getSettings(_req, ctx) {
      return current(callerOf(ctx).userId);
    },
    async updateSettings(req, ctx) {
      const caller = callerOf(ctx);
      const change: SettingsChange = {};
      if (req.autoSummaryDaily !== undefined) change.autoSummaryDaily = req.autoSummaryDaily;
      if (req.autoSummaryMonthly !== undefined) change.autoSummaryMonthly = req.autoSummaryMonthly;
      if (req.llmProvider !== undefined) {
        const p = text(req.llmProvider, 'llm_provider', 50);
        if (p !== null && !PROVIDERS.includes(p)) throw invalid(`llm_provider must be one of ${PROVIDERS.join(', ')} (or empty for the system default)`);
        change.provider = p;
      }
      if (req.llmModel !== undefined) change.model = text(req.llmModel, 'llm_model', 200);
      if (req.llmBaseUrl !== undefined) change.baseUrl = baseUrl(req.llmBaseUrl);
      if (req.llmApiKey !== undefined) {
        const key = req.llmApiKey.trim();
        if (key.length > 1000) throw invalid('llm_api_key is too long');
        if (key === '') change.apiKeyEncrypted = null;
        else {
          try {
            change.apiKeyEncrypted = encryptApiKeyForStorage(deps.box, key);
          } catch (err) {
            throw new ConnectError((err as Error).message, Code.FailedPrecondition);
          }
        }
      }
      const timezone = req.timezone === undefined ? undefined : req.timezone.trim() === '' ? null : requireTimezone(req.timezone.trim());
      await db.transaction(async (tx) => {
        if (Object.keys(change).length > 0) await updateLlmSettings(tx, caller.userId, change);
        if (timezone !== undefined) await setTimezone(tx, caller.userId, timezone);
      });
      return current(caller.userId);
    },
  };
}
