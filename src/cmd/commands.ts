// The command table of the CLI: name, usage, options and what each runs.
import type { Config } from '../config.js';
import { openDb } from '../db/db.js';
import type { Command, CommandContext } from './command.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../logger.js';
import { dailyMessage, isCalendarDate, monthlyMessage, parseMessage, toWire, UUID_RE, type JobMessage } from '../messages.js';
import { openMessaging, openRuntime } from '../runtime.js';
import { runAll } from './all.js';
import { runDlq } from './dlq.js';
import { runMigrateQueue } from './migrate-queue.js';
import { onShutdown, SHUTDOWN_GRACE_MS } from './lifecycle.js';
import { startOpsServer } from '../server/ops-routes.js';
import { buildScheduler } from './scheduler.js';
import { startServerRole } from './server.js';
import { printStatus } from './status.js';
import { reportToFleet } from './report-to-fleet.js';
import { UsageError } from '../errors/usage-error.js';
import { startSubscriber } from './subscriber.js';
import { runToken } from './token.js';
import { publishTraced } from '../spans.js';


function str(v: CommandContext['values'][string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Validates with the wire validator (the one check every published message passes), then publishes. */
async function publishOne(ctx: CommandContext, message: JobMessage | string): Promise<number> {
  const parsed = parseMessage(typeof message === 'string' ? message : toWire(message));
  if (!parsed.ok) throw new UsageError(`invalid message (${parsed.reason}): ${parsed.detail}`);
  const messaging = await openMessaging(ctx.config, ctx.logger);
  try {
    await publishTraced((m) => messaging.transport.publish(m), parsed.message);
    process.stdout.write(`${toWire(parsed.message)}\n`);
    return 0;
  } finally {
    await messaging.close();
  }
}

/** `scheduler` without --once: every interval until a signal stops it. */
async function runScheduler(config: Readonly<Config>, logger: Logger): Promise<number> {
  const shutdown = onShutdown(logger);
  const rt = await openRuntime(config, logger);
  shutdown.defer(() => rt.close());
  const ops = await startOpsServer(config.metricsPort, rt.readiness, logger);
  shutdown.defer(() => ops.close());
  const scheduler = buildScheduler(rt, logger);
  scheduler.start();
  shutdown.defer(() => scheduler.stop());
  const fleet = await reportToFleet(rt, ['scheduler'], logger);
  shutdown.defer(() => fleet.stop());
  logger.info({ metrics_port: ops.port, ...config.scheduler }, 'scheduler running');
  return -1;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'migrate',
    usage: 'migrate',
    summary: 'apply database migrations (idempotent; safe from several processes)',
    async run({ config, logger }) {
      const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: `${config.dataDir}/pglite` });
      try {
        const applied = await migrate(db);
        logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
        return 0;
      } finally {
        await db.close();
      }
    },
  },
  {
    name: 'scheduler',
    usage: 'scheduler [--once]',
    summary: 'publish a job for every day and month that needs a summary, every interval',
    options: { once: { type: 'boolean' } },
    async run({ config, logger, values }) {
      if (!values.once) return runScheduler(config, logger);
      const rt = await openRuntime(config, logger);
      const scheduler = buildScheduler(rt, logger);
      {
        try {
          const { results, failures } = await scheduler.runOnce();
          process.stdout.write(`${JSON.stringify(results)}\n`);
          // A cron job must see a failed tick: exit 1 naming each job that failed.
          for (const [job, error] of Object.entries(failures)) process.stderr.write(`diary-events scheduler: ${job} failed: ${error}\n`);
          return Object.keys(failures).length > 0 ? 1 : 0;
        } finally {
          await rt.close();
        }
      }
    },
  },
  {
    name: 'subscriber',
    usage: 'subscriber',
    summary: 'consume jobs and write summaries, SUBSCRIBER_MAX_CONCURRENT_JOBS at a time',
    async run({ config, logger }) {
      const shutdown = onShutdown(logger);
      const rt = await openRuntime(config, logger);
      shutdown.defer(() => rt.close());
      const ops = await startOpsServer(config.metricsPort, rt.readiness, logger);
      shutdown.defer(() => ops.close());
      logger.info({ metrics_port: ops.port }, 'metrics listening');
      const sub = await startSubscriber(rt, logger);
      shutdown.defer(() => sub.stop(SHUTDOWN_GRACE_MS));
      const fleet = await reportToFleet(rt, ['subscriber'], logger);
      shutdown.defer(() => fleet.stop());
      return -1;
    },
  },
  {
    name: 'server',
    usage: 'server',
    summary: 'the diary API (gRPC, gRPC-Web, Connect JSON) and web UI on PORT',
    async run({ config, logger }) {
      const shutdown = onShutdown(logger);
      const rt = await openRuntime(config, logger);
      shutdown.defer(() => rt.close());
      const server = await startServerRole(rt, logger, config.port);
      shutdown.defer(() => server.close());
      const fleet = await reportToFleet(rt, ['server'], logger);
      shutdown.defer(() => fleet.stop());
      return -1;
    },
  },
  {
    name: 'all',
    usage: 'all',
    summary: 'scheduler, subscriber and server in one process (what `npm start` runs)',
    run: (ctx) => runAll(ctx.config, ctx.logger),
  },
  {
    name: 'publish',
    usage: "publish '<json>'",
    summary: 'publish one message by hand (validated first)',
    async run(ctx) {
      const raw = ctx.positionals[0];
      if (!raw) throw new UsageError("expected one JSON message, e.g. publish '{\"type\":\"daily_summary\",\"user_id\":\"…\",\"date\":\"2024-01-15\"}'");
      return publishOne(ctx, raw);
    },
  },
  {
    name: 'enqueue',
    usage: 'enqueue daily --user U --date D | monthly --user U --month YYYY-MM',
    summary: 'publish a daily or monthly job by hand (trigger "manual")',
    options: { user: { type: 'string' }, date: { type: 'string' }, month: { type: 'string' } },
    async run(ctx) {
      const [kind] = ctx.positionals;
      const user = str(ctx.values.user) ?? '';
      if (!UUID_RE.test(user)) throw new UsageError('--user must be a user id (UUID)');
      // Shapes are checked here for a clear option name; ranges by the wire validator in publishOne.
      if (kind === 'daily') {
        const date = str(ctx.values.date) ?? '';
        if (!isCalendarDate(date)) throw new UsageError('--date must be a real date YYYY-MM-DD');
        return publishOne(ctx, dailyMessage(user, date, { trigger: 'manual' }));
      }
      if (kind === 'monthly') {
        const m = /^(\d{4})-(\d{2})$/.exec(str(ctx.values.month) ?? '');
        if (!m) throw new UsageError('--month must be YYYY-MM');
        return publishOne(ctx, monthlyMessage(user, Number(m[1]), Number(m[2]), { trigger: 'manual' }));
      }
      throw new UsageError('expected "daily" or "monthly"');
    },
  },
  {
    name: 'status',
    usage: 'status [--json]',
    summary: 'transport, subscribers / stream state, last scheduler ticks, summaries by status',
    options: { json: { type: 'boolean' } },
    run: (ctx) => printStatus(ctx.config, ctx.logger, ctx.values.json === true),
  },
  {
    name: 'token',
    usage: 'token --user <uuid> [--admin] [--ttl 7d]',
    summary: 'mint a bearer token for the API (development)',
    options: { user: { type: 'string' }, admin: { type: 'boolean' }, ttl: { type: 'string' } },
    run: (ctx) => runToken(ctx),
  },
  {
    name: 'dlq',
    usage: 'dlq list | replay [id…|--all] | purge',
    summary: 'streams: list, replay or purge dead-lettered jobs',
    options: { all: { type: 'boolean' }, limit: { type: 'string' } },
    run: (ctx) => runDlq(ctx),
  },
  {
    name: 'migrate-queue',
    usage: 'migrate-queue --from <redis-url> [--from-partitions N] [--force]',
    summary: 'streams: move the jobs waiting in one Redis into the queue the settings name (a cluster)',
    options: { from: { type: 'string' }, 'from-partitions': { type: 'string' }, force: { type: 'boolean' } },
    run: (ctx) => runMigrateQueue(ctx),
  },
];
