// Opens what the processes share — database, Redis, transport, claims, summarizers — once, and
// closes it in the right order.
import type { Config } from './config.js';
import { secretBoxFromSetting } from './crypto/secret-box.js';
import { openDb, type Db } from './db/db.js';
import { migrate } from './db/migrate.js';
import type { JobLlmSettings } from './db/summaries.js';
import type { Logger } from './logger.js';
import type { ReadinessCheck } from './server/ops-routes.js';
import { EgressPolicy, type Resolver } from './egress/egress-policy.js';
import { resolveUserSummarizer, userEgress, type SystemLlmOptions } from './summarizer/create-summarizer.js';
import type { Summarizer } from './summarizer/summarizer.js';
import { createClaimStore, type ClaimStore } from './transport/claim-store.js';
import { keysFor, type Keys } from './transport/keys.js';
import { createLimits, type JobBudget, type JobBudgetOptions, type Limits } from './transport/limits.js';
import { createPubSubTransport } from './transport/pubsub-transport.js';
import { createRedisRateLimiter } from './transport/rate-limiter.js';
import { connectRedis, type RedisClient } from './transport/redis-connection.js';
import { createStreamsTransport } from './transport/streams-transport.js';
import type { Transport } from './transport/transport.js';

export interface Runtime {
  config: Readonly<Config>;
  logger: Logger;
  db: Db;
  redis: RedisClient;
  keys: Keys;
  claims: ClaimStore;
  transport: Transport;
  /** The summarizer for a user's LLM settings over the system default. */
  summarizerFor(settings: JobLlmSettings): Summarizer;
  /** Where users' own LLM base URLs may point (LLM_ALLOWED_HOSTS). */
  egress: EgressPolicy;
  /** The limits every process shares through Redis. */
  limits: Limits;
  /** USER_MAX_JOBS_PER_HOUR. */
  jobBudget: JobBudget;
  /** Redis and database reachability, for /readyz. */
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export async function openDatabase(config: Readonly<Config>, logger: Logger): Promise<Db> {
  // Enough connections for the jobs in flight, within what one PostgreSQL serves many processes.
  const poolSize = Math.min(25, Math.max(10, config.subscriber.maxConcurrentJobs));
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: `${config.dataDir}/pglite`, poolSize });
  if (config.autoMigrate) {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  return db;
}

/** Redis, key names, claims and the configured transport: all that publishing or consuming needs. */
export interface Messaging {
  redis: RedisClient;
  keys: Keys;
  claims: ClaimStore;
  transport: Transport;
  close(): Promise<void>;
}

export async function openMessaging(config: Readonly<Config>, logger: Logger): Promise<Messaging> {
  const redis = await connectRedis({ url: config.redis.url, role: 'main', logger });
  const keys = keysFor(config.channel);
  const claims = createClaimStore({ client: redis, keys, leaseMs: config.subscriber.jobLeaseMs, logger });
  const transport =
    config.transport === 'streams'
      ? createStreamsTransport({
          client: redis,
          redisUrl: config.redis.url,
          keys,
          logger,
          consumerName: config.instance,
          leaseMs: config.subscriber.jobLeaseMs,
          maxDeliveries: config.subscriber.maxDeliveries,
        })
      : createPubSubTransport({
          client: redis,
          redisUrl: config.redis.url,
          keys,
          logger,
          backlog: config.subscriber.backlog,
          maxDeliveries: config.subscriber.maxDeliveries,
        });
  return {
    redis,
    keys,
    claims,
    transport,
    async close() {
      await claims.close();
      await transport.close();
    },
  };
}

/** What tests change: DNS answers for the egress policy, the USER_MAX_JOBS_PER_HOUR window and clock. */
export interface RuntimeOptions {
  resolve?: Resolver;
  jobBudget?: Omit<JobBudgetOptions, 'limit'>;
}

/** Everything a process role needs. `db` is shared when given (and then not closed here). */
export async function openRuntime(config: Readonly<Config>, logger: Logger, db?: Db, options: RuntimeOptions = {}): Promise<Runtime> {
  const messaging = await openMessaging(config, logger);
  const { redis, keys, claims, transport } = messaging;
  let database: Db;
  try {
    database = db ?? (await openDatabase(config, logger));
  } catch (err) {
    await messaging.close();
    throw err;
  }

  const egress = new EgressPolicy({ allowedHosts: config.llm.allowedHosts, ...(options.resolve ? { resolve: options.resolve } : {}) });
  const limits = createLimits(redis, keys);
  const system: SystemLlmOptions = {
    egress: userEgress(egress),
    allowedModels: config.llm.allowedModels,
    provider: config.llm.provider,
    ...(config.llm.baseUrl ? { baseUrl: config.llm.baseUrl } : {}),
    ...(config.llm.apiKey ? { apiKey: config.llm.apiKey } : {}),
    ...(config.llm.model ? { model: config.llm.model } : {}),
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    logger,
    ...(config.llm.maxRpm
      ? { rateLimiter: createRedisRateLimiter({ client: redis, key: keys.llmRate, maxPerMinute: config.llm.maxRpm }) }
      : {}),
  };
  const box = secretBoxFromSetting(config.secretKey);

  return {
    config,
    logger,
    db: database,
    redis,
    keys,
    claims,
    transport,
    summarizerFor: (settings) => resolveUserSummarizer(system, settings, box),
    egress,
    limits,
    jobBudget: limits.jobBudget({ limit: config.userMaxJobsPerHour, ...options.jobBudget }),
    readiness: [
      { name: 'redis', check: () => transport.isReady() },
      {
        name: 'database',
        check: async () => {
          await database.query('SELECT 1');
          return true;
        },
      },
    ],
    async close() {
      await messaging.close();
      if (!db) await database.close();
    },
  };
}
