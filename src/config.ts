// Every setting of DESIGN.md, read from the environment once, validated, typed and frozen.
import { hostname } from 'node:os';
import { parseAllowedHost } from './egress/egress-policy.js';
import { parsePrices, type ModelPrice } from './llm-prices.js';
import { ConfigError, Reader, type Env } from './env-reader.js';

export { ConfigError, MAX_DURATION_MS, parseDuration, redactUrl } from './env-reader.js';

/** QUEUE_TRANSPORT values; src/transport/open-messaging.ts is the one place that acts on them. */
export const TRANSPORT_KINDS = ['pubsub', 'streams'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];
/** LLM_PROVIDER values (and a user's provider setting). */
export const LLM_PROVIDERS = ['extractive', 'openai'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  redis: {
    url: string; host: string; port: number; fromUrl: boolean;
    /** REDIS_CLUSTER_NODES: seed `host:port`s of a Redis Cluster; empty: one Redis at `url`. */
    clusterNodes: readonly string[];
  };
  /** QUEUE_PARTITIONS: jobs spread over this many partitions by user. */
  queuePartitions: number;
  databaseUrl: string | undefined;
  dataDir: string;
  channel: string;
  transport: TransportKind;
  /** `explicit`: an interval variable was set (`all` ticks faster for the demo otherwise). */
  scheduler: { dailyIntervalMs: number; monthlyIntervalMs: number; explicit: boolean; maxPerUser: number };
  subscriber: { maxConcurrentJobs: number; backlog: number; jobTimeoutMs: number; jobLeaseMs: number; maxDeliveries: number };
  summaryMinChars: number;
  defaultTimezone: string;
  llm: {
    provider: LlmProvider; baseUrl: string | undefined; apiKey: string | undefined; model: string | undefined; maxRpm: number | undefined; maxTpm: number | undefined; timeoutMs: number; maxRetries: number;
    /** LLM_ALLOWED_HOSTS: `host` or `host:port` a user's own base URL may reach although not public. */
    allowedHosts: readonly string[];
    /** LLM_ALLOWED_MODELS: what a user may choose on the system endpoint, besides LLM_MODEL. */
    allowedModels: readonly string[];
    /** LLM_BATCH=on: scheduled jobs on the system openai endpoint go through the provider's Batch API. */
    batch: boolean;
    /** LLM_BATCH_MAX_WAIT: a batch is submitted when its oldest request has waited this long (or when full). */
    batchMaxWaitMs: number;
    /** LLM_PRICES: per model, per million tokens (input, output), for the dashboard's cost. */
    prices: ReadonlyMap<string, ModelPrice>;
  };
  /** USER_MAX_JOBS_PER_HOUR. */
  userMaxJobsPerHour: number;
  /** JOB_HISTORY_RETENTION: how long job attempts are kept (pruned by the scheduler). */
  jobHistoryRetentionMs: number;
  /** USER_MAX_CONCURRENT_JOBS: one user's jobs running at once, fleet-wide. */
  userMaxConcurrentJobs: number;
  secretKey: string | undefined;
  jwtSecret: string | undefined;
  registerKey: string | undefined;
  port: number;
  /** HOST; undefined: the role's default (`all` 127.0.0.1, `server` 0.0.0.0). */
  host: string | undefined;
  metricsPort: number;
  /** METRICS_PORT when it is set: the server then serves /metrics and /readyz there, not on PORT. */
  serverMetricsPort: number | undefined;
  logLevel: LogLevel;
  autoMigrate: boolean;
  instance: string;
}


export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}



/** pg accepts `postgres://user:pw@/db?host=/socket` (no host), which WHATWG URL does not parse. */
function parsePostgresUrl(v: string): URL {
  try {
    return new URL(v);
  } catch {
    return new URL(v.replace('@/', '@localhost/'));
  }
}

/** Host and port of a redis:// or rediss:// URL (already validated). */
function redisEndpoint(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: u.port ? Number(u.port) : 6379 };
}

function validHost(host: string): boolean {
  if (!/^[\w.%:-]+$/.test(host)) return false;
  try {
    return new URL(`redis://${host.includes(':') ? `[${host}]` : host}:6379`).hostname !== '';
  } catch {
    return false;
  }
}

/** Reads and validates the whole configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const r = new Reader(env);
  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);
  // REDIS_URL overrides REDIS_HOST/REDIS_PORT, which are then not even read: Kubernetes injects
  // REDIS_PORT=tcp://10.0.0.1:6379 into every pod beside a Service named "redis".
  let host: string;
  let port: number;
  if (redisUrl !== undefined) {
    ({ host, port } = redisEndpoint(redisUrl));
  } else {
    host = r.string('REDIS_HOST', '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
    if (!validHost(host)) r.fail('REDIS_HOST', host, 'a host name or IP address such as 127.0.0.1, redis or ::1');
    port = r.int('REDIS_PORT', 6379, 1, 65535);
  }
  const clusterNodes = r.list('REDIS_CLUSTER_NODES');
  for (const n of clusterNodes) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(n);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535 || !validHost((m[1] as string).replace(/^\[(.*)\]$/, '$1'))) {
      r.fail('REDIS_CLUSTER_NODES', n, 'comma-separated host:port seed nodes such as 10.0.0.1:6379,10.0.0.2:6379');
    }
  }
  const interval = r.duration('SCHEDULER_INTERVAL', '5m', 1000);
  const jobLeaseMs = r.duration('JOB_LEASE', '30s', 1000);
  const tz = r.string('DEFAULT_TIMEZONE', 'Asia/Tokyo');
  if (!isValidTimezone(tz)) r.fail('DEFAULT_TIMEZONE', tz, 'an IANA time zone name such as Asia/Tokyo or UTC');
  const channel = r.string('DIARY_CHANNEL', 'diary_events');
  if (!/^[\w.:-]{1,200}$/.test(channel)) r.fail('DIARY_CHANNEL', channel, 'letters, digits, _ . : - (1 to 200 characters)');

  const llmProvider = r.oneOf('LLM_PROVIDER', LLM_PROVIDERS, 'extractive');
  const llmBaseUrl = r.url('LLM_BASE_URL', ['http:', 'https:']);
  const llmModel = r.raw('LLM_MODEL');
  if (llmProvider === 'openai' && (!llmBaseUrl || !llmModel)) {
    throw new ConfigError(
      `Invalid LLM_PROVIDER="openai": it needs LLM_BASE_URL (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1) and LLM_MODEL`,
    );
  }
  const allowedHosts = r.list('LLM_ALLOWED_HOSTS');
  for (const h of allowedHosts) if (!parseAllowedHost(h)) r.fail('LLM_ALLOWED_HOSTS', h, 'comma-separated host or host:port entries such as localhost:11434');
  const allowedModels = r.list('LLM_ALLOWED_MODELS');
  for (const m of allowedModels) if (m.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(m)) r.fail('LLM_ALLOWED_MODELS', m, 'comma-separated model names');
  const llmBatch = r.oneOf('LLM_BATCH', ['off', 'on'] as const, 'off') === 'on';
  if (llmBatch && !llmBaseUrl) {
    throw new ConfigError('Invalid LLM_BATCH="on": batches go to the operator\'s endpoint, so it needs LLM_BASE_URL (and LLM_API_KEY for a hosted provider)');
  }
  let prices: ReadonlyMap<string, ModelPrice>;
  try {
    prices = parsePrices(r.raw('LLM_PRICES'));
  } catch (err) {
    throw new ConfigError(`Invalid LLM_PRICES: ${(err as Error).message}`);
  }
  const listenHost = r.raw('HOST');
  if (listenHost !== undefined && !validHost(listenHost.replace(/^\[(.*)\]$/, '$1'))) r.fail('HOST', listenHost, 'an address to listen on such as 127.0.0.1, 0.0.0.0 or ::');
  const secretKey = r.raw('SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < 32) r.fail('SECRET_KEY', '***', 'at least 32 characters (e.g. `openssl rand -hex 32`)');
  const jwtSecret = r.raw('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) r.fail('JWT_SECRET', '***', 'at least 32 characters (e.g. `openssl rand -hex 32`)');

  const config: Config = {
    redis: {
      url: redisUrl ?? `redis://${host.includes(':') ? `[${host}]` : host}:${port}`,
      host,
      port,
      fromUrl: redisUrl !== undefined,
      clusterNodes,
    },
    queuePartitions: r.int('QUEUE_PARTITIONS', 1, 1, 1024),
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:'], parsePostgresUrl),
    dataDir: r.string('DATA_DIR', './data'),
    channel,
    transport: r.oneOf('QUEUE_TRANSPORT', TRANSPORT_KINDS, 'pubsub'),
    scheduler: {
      dailyIntervalMs: r.raw('SCHEDULER_DAILY_INTERVAL') ? r.duration('SCHEDULER_DAILY_INTERVAL', '5m', 1000) : interval,
      monthlyIntervalMs: r.raw('SCHEDULER_MONTHLY_INTERVAL') ? r.duration('SCHEDULER_MONTHLY_INTERVAL', '5m', 1000) : interval,
      explicit: ['SCHEDULER_INTERVAL', 'SCHEDULER_DAILY_INTERVAL', 'SCHEDULER_MONTHLY_INTERVAL'].some((n) => r.raw(n) !== undefined),
      maxPerUser: r.int('SCHEDULER_MAX_PER_USER', 100, 1, 1_000_000),
    },
    subscriber: {
      maxConcurrentJobs: r.int('SUBSCRIBER_MAX_CONCURRENT_JOBS', 10, 1, 10_000),
      backlog: r.int('SUBSCRIBER_BACKLOG', 10_000, 1, 10_000_000),
      jobTimeoutMs: r.duration('JOB_TIMEOUT', '10m', 100),
      jobLeaseMs,
      maxDeliveries: r.int('MAX_DELIVERIES', 5, 1, 1000),
    },
    summaryMinChars: r.int('SUMMARY_MIN_CHARS', 1000, 0, 10_000_000),
    defaultTimezone: tz,
    llm: {
      provider: llmProvider,
      baseUrl: llmBaseUrl,
      apiKey: r.raw('LLM_API_KEY'),
      model: llmModel,
      maxRpm: r.optionalInt('LLM_MAX_RPM', 1, 1_000_000),
      maxTpm: r.optionalInt('LLM_MAX_TPM', 1, 1_000_000_000),
      timeoutMs: r.duration('LLM_TIMEOUT', '60s', 100),
      maxRetries: r.int('LLM_MAX_RETRIES', 4, 0, 20),
      allowedHosts,
      allowedModels,
      batch: llmBatch,
      batchMaxWaitMs: r.duration('LLM_BATCH_MAX_WAIT', '1h', 1000),
      prices,
    },
    jobHistoryRetentionMs: r.retention('JOB_HISTORY_RETENTION', '14d', 60_000, 3650),
    userMaxJobsPerHour: r.int('USER_MAX_JOBS_PER_HOUR', 120, 1, 1_000_000),
    userMaxConcurrentJobs: r.int('USER_MAX_CONCURRENT_JOBS', 2, 1, 1000),
    secretKey,
    jwtSecret,
    registerKey: r.raw('REGISTER_KEY'),
    port: r.int('PORT', 8080, 0, 65535),
    host: listenHost?.replace(/^\[(.*)\]$/, '$1'),
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65535),
    serverMetricsPort: r.optionalInt('METRICS_PORT', 0, 65535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    autoMigrate: r.bool('AUTO_MIGRATE', true),
    instance: `${hostname()}-${process.pid}-${Date.now().toString(36)}`,
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

/** The settings table of the README, kept here so the code and the docs cannot drift. */
export const SETTINGS: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'REDIS_HOST', default: '127.0.0.1', meaning: 'Redis host (as the ADR names it)' },
  { name: 'REDIS_PORT', default: '6379', meaning: 'Redis port' },
  { name: 'REDIS_URL', default: '—', meaning: 'overrides host/port; rediss:// for TLS; user:password@ for ACL' },
  { name: 'REDIS_CLUSTER_NODES', default: '—', meaning: 'comma-separated host:port seed nodes of a Redis Cluster; when set every process uses the cluster (user, password and TLS from REDIS_URL)' },
  { name: 'QUEUE_PARTITIONS', default: '1', meaning: 'jobs are spread over this many partitions by a stable hash of user_id; each partition’s keys share one hash tag (one slot), so partitions spread over the cluster’s masters' },
  { name: 'DATABASE_URL', default: '—', meaning: 'PostgreSQL; unset: embedded PGlite under DATA_DIR' },
  { name: 'DATA_DIR', default: './data', meaning: 'embedded DB and, with `all`, a Redis started for you' },
  { name: 'DIARY_CHANNEL', default: 'diary_events', meaning: 'channel (and stream-name prefix)' },
  { name: 'QUEUE_TRANSPORT', default: 'pubsub', meaning: 'pubsub or streams' },
  { name: 'SCHEDULER_INTERVAL', default: '5m', meaning: 'every job’s interval' },
  { name: 'SCHEDULER_DAILY_INTERVAL', default: '= SCHEDULER_INTERVAL', meaning: 'daily job interval' },
  { name: 'SCHEDULER_MONTHLY_INTERVAL', default: '= SCHEDULER_INTERVAL', meaning: 'monthly job interval' },
  { name: 'SCHEDULER_MAX_PER_USER', default: '100', meaning: 'targets of one user published per tick, interleaved across users, so one user’s long backlog never starves the others' },
  { name: 'SUBSCRIBER_MAX_CONCURRENT_JOBS', default: '10', meaning: 'jobs in flight per subscriber' },
  { name: 'SUBSCRIBER_BACKLOG', default: '10000', meaning: 'pubsub: messages a subscriber buffers beyond its slots; more are shed (counted) and republished by the next tick' },
  { name: 'JOB_TIMEOUT', default: '10m', meaning: 'hard limit for one job' },
  { name: 'JOB_LEASE', default: '30s', meaning: 'claim TTL, renewed while a job runs; an unrenewed claim is taken over' },
  { name: 'MAX_DELIVERIES', default: '5', meaning: 'deliveries of a failing job before it is given up (streams: moved to the dead-letter stream)' },
  { name: 'SUMMARY_MIN_CHARS', default: '1000', meaning: 'shortest diary that gets a daily summary' },
  { name: 'DEFAULT_TIMEZONE', default: 'Asia/Tokyo', meaning: 'for users without one' },
  { name: 'LLM_PROVIDER', default: 'extractive', meaning: 'extractive (built in, offline) or openai (any OpenAI-compatible endpoint)' },
  { name: 'LLM_BASE_URL', default: '—', meaning: 'openai: e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1' },
  { name: 'LLM_API_KEY', default: '—', meaning: 'openai: bearer key (never logged)' },
  { name: 'LLM_MODEL', default: '—', meaning: 'openai: model name' },
  { name: 'LLM_TIMEOUT', default: '60s', meaning: 'one LLM request' },
  { name: 'LLM_MAX_RETRIES', default: '4', meaning: 'retries of one LLM call on 429, 5xx and network errors (with backoff) before the job itself is retried' },
  { name: 'LLM_MAX_RPM', default: '—', meaning: 'LLM requests per minute shared by all subscribers' },
  { name: 'LLM_MAX_TPM', default: '—', meaning: 'LLM tokens per minute shared by all subscribers: a call reserves its estimate (prompt plus 1024 for the answer) before it starts, and the reservation is corrected with the usage the provider reports' },
  { name: 'LLM_ALLOWED_HOSTS', default: '—', meaning: 'comma-separated `host` or `host:port` a user’s own LLM base URL may point at although they are not public (a local Ollama, say); every other non-public address is refused' },
  { name: 'LLM_ALLOWED_MODELS', default: '—', meaning: 'comma-separated models a user may choose while the system endpoint and key pay; empty: only LLM_MODEL' },
  { name: 'LLM_BATCH', default: 'off', meaning: 'on: jobs triggered by `schedule` on the operator’s openai endpoint and key go through the provider’s Batch API at half price (`/v1/files` + `/v1/batches`, JSONL with a `custom_id` per job and input version); jobs a user triggered, and users’ own endpoints or keys, stay live' },
  { name: 'LLM_BATCH_MAX_WAIT', default: '1h', meaning: 'a batch is submitted when full (50,000 requests, the provider’s limit) or when its oldest request has waited this long' },
  { name: 'LLM_PRICES', default: '—', meaning: 'prices per million tokens, input/output, per model, for the dashboard’s cost of the month: `gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10`; tokens answered through a batch count at half' },
  { name: 'JOB_HISTORY_RETENTION', default: '14d', meaning: 'how long every job attempt (trigger, subscriber, times, outcome, error class, tokens) is kept; the scheduler prunes older ones in batches' },
  { name: 'USER_MAX_JOBS_PER_HOUR', default: '120', meaning: 'LLM jobs of one user per hour, whatever triggered them, across all subscribers (in Redis); the rest wait as `queued` for a later tick, never `failed`' },
  { name: 'USER_MAX_CONCURRENT_JOBS', default: '2', meaning: 'jobs of one user running at once, across all subscribers (in Redis); a job over it waits in its subscriber’s queue, never counted as a failure' },
  { name: 'SECRET_KEY', default: '—', meaning: 'encrypts users’ LLM keys at rest (≥ 32 chars); storing a key without it is refused' },
  { name: 'JWT_SECRET', default: '—', meaning: 'server: verifies bearer tokens (≥ 32 chars; `all` makes one up if unset)' },
  { name: 'REGISTER_KEY', default: '—', meaning: 'server: when set, sign-ups must know it' },
  { name: 'HOST', default: '127.0.0.1 / 0.0.0.0', meaning: 'listen address of the API and web UI: 127.0.0.1 for `all`, 0.0.0.0 for `server`' },
  { name: 'PORT', default: '8080', meaning: 'server: API, web UI, /healthz (and /metrics, /readyz unless METRICS_PORT is set)' },
  { name: 'METRICS_PORT', default: '9464', meaning: 'scheduler / subscriber: /metrics, /healthz, /readyz; server: when set, /metrics and /readyz are served here only, not on PORT' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'JSON logs: fatal, error, warn, info, debug, trace, silent' },
  { name: 'AUTO_MIGRATE', default: 'true', meaning: 'apply migrations at start (set false when a migrate job runs first)' },
];
