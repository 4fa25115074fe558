// SettingsService: auto summaries on/off, the LLM (provider, model, base URL, key) and time zone.
// The API key is write-only: encrypted under SECRET_KEY before it reaches the database, refused
// when SECRET_KEY is unset, and never returned (only whether one is stored). A base URL must pass
// the egress policy (checked again when the subscriber connects); a model on the system's
// endpoint and key must be one the operator offers (LLM_MODEL, LLM_ALLOWED_MODELS).
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { LLM_PROVIDERS } from '../../config.js';
import { setTimezone } from '../../db/accounts.js';
import type { Db } from '../../db/db.js';
import { readSettings, updateLlmSettings, type SettingsChange } from '../../db/settings.js';
import { SettingsService, type SettingsSchema } from '../../gen/diary/v1/settings_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { encryptApiKeyForStorage, type SecretBox } from '../../crypto/secret-box.js';
import { isEgressRefused, type EgressPolicy } from '../../egress/egress-policy.js';
import { modelRefusal } from '../../summarizer/create-summarizer.js';
import { callerOf } from '../auth.js';
import { invalid, plainText as text, requireTimezone } from '../validate.js';

/** The operator's LLM, as far as choosing a model on it goes. */
export interface SystemLlm {
  provider: string;
  baseUrl: string | undefined;
  model: string | undefined;
  allowedModels: readonly string[];
}

export interface SettingsServiceDeps {
  db: Db;
  /** null when SECRET_KEY is unset. */
  box: SecretBox | null;
  egress: EgressPolicy;
  system: SystemLlm;
}

const PROVIDERS: readonly string[] = LLM_PROVIDERS;

export function settingsService(deps: SettingsServiceDeps): ServiceImpl<typeof SettingsService> {
  const { db } = deps;

  const baseUrl = async (value: string): Promise<string | null> => {
    const v = text(value, 'llm_base_url', 500);
    if (v === null || v === deps.system.baseUrl) return v; // the operator's own endpoint is trusted
    try {
      await deps.egress.checkForSave(v);
    } catch (err) {
      if (isEgressRefused(err)) throw invalid(`llm_base_url ${err.message}`);
      throw err;
    }
    return v;
  };

  /** After `change`, a model on the system's endpoint and key must be one it offers. */
  const checkModel = async (userId: string, change: SettingsChange) => {
    if (change.model === undefined && change.baseUrl === undefined && change.apiKeyEncrypted === undefined && change.provider === undefined) return;
    const row = await readSettings(db, userId);
    const pick = <T>(changed: T | undefined, stored: T) => (changed === undefined ? stored : changed);
    const provider = pick(change.provider, row?.provider ?? null) ?? deps.system.provider;
    const model = pick(change.model, row?.model ?? null);
    const url = pick(change.baseUrl, row?.base_url ?? null);
    const ownKey = change.apiKeyEncrypted === undefined ? row?.has_api_key === true : change.apiKeyEncrypted !== null;
    if (provider !== 'openai' || model === null || ownKey || (url !== null && url !== deps.system.baseUrl)) return;
    const refusal = modelRefusal(deps.system, model);
    if (refusal) throw invalid(`llm_model: ${refusal}`);
  };

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
      if (req.llmBaseUrl !== undefined) change.baseUrl = await baseUrl(req.llmBaseUrl);
      if (req.llmApiKey !== undefined) {
        const key = text(req.llmApiKey, 'llm_api_key', 1000);
        if (key === null) change.apiKeyEncrypted = null;
        else {
          try {
            change.apiKeyEncrypted = encryptApiKeyForStorage(deps.box, key);
          } catch (err) {
            throw new ConnectError((err as Error).message, Code.FailedPrecondition);
          }
        }
      }
      await checkModel(caller.userId, change);
      const timezone = req.timezone === undefined ? undefined : req.timezone.trim() === '' ? null : requireTimezone(req.timezone.trim());
      await db.transaction(async (tx) => {
        if (Object.keys(change).length > 0) await updateLlmSettings(tx, caller.userId, change);
        if (timezone !== undefined) await setTimezone(tx, caller.userId, timezone);
      });
      return current(caller.userId);
    },
  };
}
