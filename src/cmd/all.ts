// `diary-events all` (`npm start`): scheduler, subscriber and server in one process on embedded
// defaults — PGlite under DATA_DIR and, when no Redis answers, a redis-server started for you.
// A local sandbox: it listens on 127.0.0.1 unless HOST says otherwise, keeps DATA_DIR private,
// and its admin's password is made up per DATA_DIR and shown on the terminal only, never logged.
import { todayIn } from '../calendar.js';
import { redactUrl, type Config } from '../config.js';
import { privateDataDir } from '../data-dir.js';
import { demoPassword, demoPasswordPath } from '../demo/demo-password.js';
import { DEMO_EMAIL, DEMO_USER_ID, seedDemo } from '../demo/seed.js';
import type { Logger } from '../logger.js';
import { openDatabase, openRuntime } from '../runtime.js';
import { embeddedRedisOrConfigured } from './redis-choice.js';
import { onShutdown, SHUTDOWN_GRACE_MS } from './lifecycle.js';
import { buildScheduler } from './scheduler.js';
import { startServerRole } from './server.js';
import { startSubscriber } from './subscriber.js';
import { reportToFleet } from './report-to-fleet.js';

/** The demo ticks every 30 s unless an interval is set, so monthly summaries follow the daily ones within a minute. */
const DEMO_INTERVAL_MS = 30_000;

export async function runAll(baseConfig: Readonly<Config>, logger: Logger): Promise<number> {
  privateDataDir(baseConfig.dataDir);
  const chosen = await embeddedRedisOrConfigured(baseConfig, logger);
  const { embedded } = chosen;
  const config: Readonly<Config> = chosen.config.scheduler.explicit
    ? chosen.config
    : Object.freeze({
        ...chosen.config,
        scheduler: Object.freeze({ ...chosen.config.scheduler, dailyIntervalMs: DEMO_INTERVAL_MS, monthlyIntervalMs: DEMO_INTERVAL_MS, explicit: false }),
      });
  const shutdown = onShutdown(logger);
  shutdown.defer(async () => embedded?.stop());
  const db = await openDatabase(config, logger);
  shutdown.defer(() => db.close());
  const rt = await openRuntime(config, logger, db);
  shutdown.defer(() => rt.close());
  const password = demoPassword(config.dataDir);
  const seeded = await seedDemo(db, config.defaultTimezone, config.summaryMinChars, password.password);
  const server = await startServerRole(rt, logger.child({ role: 'server' }), config.port, {
    allowGeneratedJwtSecret: true,
    defaultHost: '127.0.0.1',
  });
  shutdown.defer(() => server.close());
  const sub = await startSubscriber(rt, logger.child({ role: 'subscriber' }));
  shutdown.defer(() => sub.stop(SHUTDOWN_GRACE_MS));
  const scheduler = buildScheduler(rt, logger.child({ role: 'scheduler' }));
  scheduler.start();
  shutdown.defer(() => scheduler.stop());
  const fleet = await reportToFleet(rt, ['scheduler', 'subscriber', 'server'], logger);
  shutdown.defer(() => fleet.stop());

  const shownHost = server.host === '0.0.0.0' || server.host === '::' ? '127.0.0.1' : server.host;
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${server.port}`;
  const ops = server.metricsPort === undefined ? base : `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${server.metricsPort}`;
  process.stdout.write(
    [
      '',
      'diary-events is running (scheduler + subscriber + server in one process)',
      `  database   ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}/pglite`}`,
      `  redis      ${embedded ? `embedded redis-server (AOF) in ${config.dataDir}/redis, ${config.redis.url}` : redactUrl(config.redis.url)}`,
      `  transport  ${config.transport} on "${config.channel}"`,
      `  scheduler  every ${config.scheduler.dailyIntervalMs / 1000}s${config.scheduler.explicit ? '' : ' (demo pace; SCHEDULER_INTERVAL sets it)'}`,
      `  summarizer ${config.llm.provider}${config.llm.model ? ` (${config.llm.model})` : ''}`,
      `  server     ${base}  (metrics ${ops}/metrics, health ${base}/healthz, ${ops}/readyz)`,
      `  demo user  ${DEMO_EMAIL} (${DEMO_USER_ID})${seeded ? ' — created with sample diaries' : ''}`,
      `  sign in    ${base}/  email ${DEMO_EMAIL}  ${passwordLine(password, demoPasswordPath(config.dataDir))}  (admin: sees the dashboard)`,
      `  API token  diary-events token --user ${DEMO_USER_ID} --admin --ttl 1h   (DATA_DIR=${config.dataDir})`,
      `             then: curl -H "Authorization: Bearer <token>" -H 'Content-Type: application/json' -d '{}' ${base}/diary.v1.AuthService/Me`,
      '',
      'Summaries appear within seconds (monthly ones after the next tick). Look at them in the web app,',
      `or: curl -H "Authorization: Bearer <token>" -H 'Content-Type: application/json' -d '{"date":"${yesterday(config.defaultTimezone)}"}' ${base}/diary.v1.SummaryService/GetDailySummary`,
      '',
    ].join('\n'),
  );

  return -1;
}

/**
 * The password is shown once, when it was made up, and only on a terminal: piped or collected
 * output (where the JSON logs go) gets the file it is kept in instead.
 */
export function passwordLine(password: { password: string; created: boolean }, path: string, tty = process.stdout.isTTY === true): string {
  return password.created && tty ? `password ${password.password}  (kept in ${path})` : `password in ${path}`;
}

function yesterday(timeZone: string): string {
  const today = todayIn(timeZone);
  return new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}
