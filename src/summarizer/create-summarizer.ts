// Builds the Summarizer for the system settings (LLM_*) or for one user's user_llms row.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { LLM_PROVIDERS, type LlmProvider } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { UserLlmSettings } from '../db/users.js';
import { egressDispatcher } from '../egress/egress-dispatcher.js';
import { EgressPolicy, isEgressRefused } from '../egress/egress-policy.js';
import { PermanentJobError } from '../errors/job-errors.js';
import { ExtractiveSummarizer } from './extractive.js';
import type { LlmTokenGate } from '../transport/token-budget.js';
import { OpenAiSummarizer, type LlmRateLimiter } from './openai.js';
import type { Summarizer } from './summarizer.js';

export interface CreateSummarizerOptions {
  provider: LlmProvider;
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  timeoutMs?: number;
  maxRetries?: number;
  maxInputChars?: number;
  rateLimiter?: LlmRateLimiter;
  tokenGate?: LlmTokenGate;
  logger?: Logger;
  dispatcher?: Dispatcher;
  classOnlyErrors?: boolean;
  /** Scheduled jobs may go through the provider's Batch API (LLM_BATCH=on, the operator's endpoint and key). */
  batchable?: boolean;
}

/** A user's own base URL: the egress policy, and the dispatcher that applies it when connecting. */
export interface UserEgress {
  policy: EgressPolicy;
  dispatcher: Dispatcher;
}

export function userEgress(policy: EgressPolicy): UserEgress {
  return { policy, dispatcher: egressDispatcher(policy) };
}

/** The system default LLM (LLM_PROVIDER, LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, …). */
export type SystemLlmOptions = CreateSummarizerOptions & {
  /** For users' own base URLs. @defaultValue the policy with no LLM_ALLOWED_HOSTS */
  egress?: UserEgress;
  /** LLM_ALLOWED_MODELS: models a user may choose on the system endpoint besides `model`. */
  allowedModels?: readonly string[];
  /** LLM_BATCH=on: jobs on the system endpoint with the system key may be batched. */
  batch?: boolean;
};

/** Throws an Error naming what is missing when the openai provider lacks baseUrl or model. */
export function createSummarizer(opts: CreateSummarizerOptions): Summarizer {
  if (opts.provider === 'extractive') return new ExtractiveSummarizer();
  if (opts.provider !== 'openai') throw new Error(`unknown LLM provider "${String(opts.provider)}" (expected extractive or openai)`);
  const missing = [!opts.baseUrl && 'LLM_BASE_URL (baseUrl)', !opts.model && 'LLM_MODEL (model)'].filter(Boolean);
  if (missing.length > 0) throw new Error(`LLM provider openai needs ${missing.join(' and ')}`);
  return new OpenAiSummarizer({
    baseUrl: opts.baseUrl as string,
    model: opts.model as string,
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
    ...(opts.maxInputChars !== undefined ? { maxInputChars: opts.maxInputChars } : {}),
    ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
    ...(opts.tokenGate ? { tokenGate: opts.tokenGate } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher, classOnlyErrors: opts.classOnlyErrors === true } : {}),
    ...(opts.batchable ? { batchable: true } : {}),
  });
}

let defaultEgress: UserEgress | undefined;

/**
 * A model the user chose on the system endpoint (where the operator pays) must be LLM_MODEL or in
 * LLM_ALLOWED_MODELS. A stored choice the operator no longer allows fails the job rather than
 * running another model than the one the user picked; saving new settings retries it.
 */
export function modelRefusal(system: Pick<SystemLlmOptions, 'model' | 'allowedModels'>, model: string): string | undefined {
  if (model === system.model || (system.allowedModels ?? []).includes(model)) return undefined;
  const offered = [system.model, ...(system.allowedModels ?? [])].filter(Boolean).join(', ');
  return `the model "${model}" is not offered on this server's LLM${offered ? ` (offered: ${offered})` : ''}; choose one of those, or use your own base URL or API key`;
}

// Summarizers are reused across jobs; the cache key is a hash, so no key sits in it in clear.
const CACHE_LIMIT = 256;
const cache = new Map<string, Summarizer>();
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function idOf(o: object | undefined): number {
  if (!o) return 0;
  let id = objectIds.get(o);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(o, id);
  }
  return id;
}

function cached(settings: unknown, build: () => Summarizer): Summarizer {
  const key = createHash('sha256').update(JSON.stringify(settings)).digest('base64url');
  const hit = cache.get(key);
  if (hit) {
    // Refresh recency: Map keeps insertion order, so the oldest entry is first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const built = build();
  cache.set(key, built);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return built;
}

/** Forgets every cached summarizer (tests; settings reloads). */
export function clearSummarizerCache(): void {
  systemDefaults = new WeakMap();
  cache.clear();
}

function isProvider(v: string): v is LlmProvider {
  return (LLM_PROVIDERS as readonly string[]).includes(v);
}

/**
 * The summarizer for one user: each non-null field of `user` overrides the system default.
 * The system API key is used only with the system base URL, so a user pointing at their own
 * server never receives it. Failures caused by the user's settings (an unknown provider, openai
 * without a base URL or model, a stored key that cannot be decrypted) are PermanentJobErrors:
 * retrying cannot help until the settings change.
 */
// The operator's summarizer per system options, for users with no settings of their own (most
// jobs): one lookup instead of hashing the settings on every job.
let systemDefaults = new WeakMap<SystemLlmOptions, Summarizer>();

export function resolveUserSummarizer(system: SystemLlmOptions, user: UserLlmSettings | null, box: SecretBox | null): Summarizer {
  if (user === null || (user.provider == null && user.model == null && user.baseUrl == null && user.apiKeyEncrypted == null)) {
    let summarizer = systemDefaults.get(system);
    if (!summarizer) systemDefaults.set(system, (summarizer = resolveSummarizer(system, null, box)));
    return summarizer;
  }
  return resolveSummarizer(system, user, box);
}

function resolveSummarizer(system: SystemLlmOptions, user: UserLlmSettings | null, box: SecretBox | null): Summarizer {
  const provider = user?.provider ?? system.provider;
  if (!isProvider(provider)) throw new PermanentJobError(`unknown LLM provider "${provider}" in the user's settings`);
  const shared = { timeoutMs: system.timeoutMs, maxRetries: system.maxRetries, maxInputChars: system.maxInputChars };
  const objects = [idOf(system.rateLimiter), idOf(system.tokenGate), idOf(system.logger)];
  if (provider === 'extractive') return cached({ provider }, () => new ExtractiveSummarizer());

  const baseUrl = user?.baseUrl ?? system.baseUrl;
  const model = user?.model ?? system.model;
  const encrypted = user?.apiKeyEncrypted ?? null;
  const useSystemKey = encrypted === null && baseUrl === system.baseUrl;
  const ownUrl = baseUrl !== undefined && baseUrl !== system.baseUrl;
  if (useSystemKey && model && user?.model) {
    const refusal = modelRefusal(system, model);
    if (refusal) throw new PermanentJobError(refusal);
  }
  const egress = ownUrl ? (system.egress ?? (defaultEgress ??= userEgress(new EgressPolicy()))) : undefined;
  if (egress && baseUrl) {
    try {
      egress.policy.parseUrl(baseUrl);
    } catch (err) {
      if (isEgressRefused(err)) throw new PermanentJobError(`llm_base_url ${err.message}`);
      throw err;
    }
  }
  const keyId = encrypted !== null ? `user:${encrypted}` : useSystemKey ? `system:${system.apiKey ?? ''}` : 'none';
  // Only the operator's endpoint and key are batched: the batch leader uploads with LLM_API_KEY.
  const batchable = system.batch === true && useSystemKey && !ownUrl;
  return cached({ provider, baseUrl, model, keyId, shared, batchable, objects: [...objects, idOf(egress)] }, () => {
    let apiKey: string | undefined;
    if (encrypted !== null) {
      if (!box) throw new PermanentJobError("the user's API key is stored encrypted but SECRET_KEY is not set");
      try {
        apiKey = box.decrypt(encrypted);
      } catch {
        throw new PermanentJobError("the user's stored API key cannot be decrypted (SECRET_KEY changed or the value is corrupt); save it again");
      }
    } else if (useSystemKey) apiKey = system.apiKey;
    try {
      return createSummarizer({
        ...system,
        provider,
        ...(baseUrl ? { baseUrl } : {}),
        ...(model ? { model } : {}),
        ...(apiKey ? { apiKey } : { apiKey: undefined }),
        ...(egress ? { dispatcher: egress.dispatcher, classOnlyErrors: true } : { dispatcher: undefined }),
        batchable,
      });
    } catch (err) {
      throw new PermanentJobError(`invalid LLM settings: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
