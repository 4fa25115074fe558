// Opens what the processes share — database, the Redis seam, summarizers, the egress policy — once,
// and closes it in the right order.
import type { Config } from './config.js';
import { secretBoxFromSetting } from './crypto/secret-box.js';
import { openDb, type Db } from './db/db.js';
import { migrate } from './db/migrate.js';
import type { UserLlmSettings } from './db/users.js';
import { EgressPolicy, type Resolver } from './egress/egress-policy.js';
import type { Logger } from './logger.js';
import type { ReadinessCheck } from './server/ops-routes.js';
import { resolveUserSummarizer, userEgress, type SystemLlmOptions } from './summarizer/create-summarizer.js';
import type { Summarizer } from './summarizer/summarizer.js';
import type { JobBudget, JobBudgetOptions } from './transport/limits.js';
import type { Messaging } from './transport/messaging.js';
import type { UserSlots } from './transport/user-slots.js';
import { openMessaging } from './transport/open-messaging.js';

export interface Runtime {
  config: Readonly<Config>;
  logger: Logger;
  db: Db;
  /** Everything of Redis: transport, inspector, claims, tick lock, fleet-wide limits. */
  messaging: Messaging;
  /** The summarizer for a user's LLM settings over the system default. */
  summarizerFor(settings: UserLlmSettings): Summarizer;
  /** Where users' own LLM base URLs may point (LLM_ALLOWED_HOSTS). */
  egress: EgressPolicy;
  /** USER_MAX_JOBS_PER_HOUR. */
  jobBudget: JobBudget;
  /** USER_MAX_CONCURRENT_JOBS, held across the fleet. */
  userSlots: UserSlots;
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

export { openMessaging };

/** What tests change: DNS answers for the egress policy, the USER_MAX_JOBS_PER_HOUR window and clock. */
export interface RuntimeOptions {
  resolve?: Resolver;
  jobBudget?: Omit<JobBudgetOptions, 'limit'>;
}

/** Everything a process role needs. `db` is shared when given (and then not closed here). */
export async function openRuntime(config: Readonly<Config>, logger: Logger, db?: Db, options: RuntimeOptions = {}): Promise<Runtime> {
  const messaging = await openMessaging(config, logger);
  let database: Db;
  try {
    database = db ?? (await openDatabase(config, logger));
  } catch (err) {
    await messaging.close();
    throw err;
  }

  const egress = new EgressPolicy({ allowedHosts: config.llm.allowedHosts, ...(options.resolve ? { resolve: options.resolve } : {}) });
  const system: SystemLlmOptions = {
    egress: userEgress(egress),
    allowedModels: config.llm.allowedModels,
    batch: config.llm.batch,
    provider: config.llm.provider,
    ...(config.llm.baseUrl ? { baseUrl: config.llm.baseUrl } : {}),
    ...(config.llm.apiKey ? { apiKey: config.llm.apiKey } : {}),
    ...(config.llm.model ? { model: config.llm.model } : {}),
    timeoutMs: config.llm.timeoutMs,
    maxRetries: config.llm.maxRetries,
    logger,
    // Always: besides LLM_MAX_TPM it carries the provider's pauses to every subscriber.
    tokenGate: messaging.limits.llmTokens({ ...(config.llm.maxTpm ? { tokensPerMinute: config.llm.maxTpm } : {}), logger }),
    ...(config.llm.maxRpm ? { rateLimiter: messaging.rateLimiter('llm-rate', { perMinute: config.llm.maxRpm }) } : {}),
  };
  const box = secretBoxFromSetting(config.secretKey);

  return {
    config,
    logger,
    db: database,
    messaging,
    summarizerFor: (settings) => resolveUserSummarizer(system, settings, box),
    egress,
    jobBudget: messaging.limits.jobBudget({ limit: config.userMaxJobsPerHour, ...options.jobBudget }),
    userSlots: messaging.limits.userSlots({ limit: config.userMaxConcurrentJobs, leaseMs: config.subscriber.jobLeaseMs, logger }),
    readiness: [
      { name: 'redis', check: () => messaging.isReady() },
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
