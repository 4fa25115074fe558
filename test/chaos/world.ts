// The chaos run's world: a fresh PostgreSQL database, a redis-server with AOF fsynced on every
// write (own port and directory), the fake LLM answering by the seed's plan, and the seeded users
// and diaries. Diary text starts with a marker "U<user> <date> e<edit>." so a stored summary shows
// which text it was made from.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { ADMIN_URL, createPostgresDatabase } from '../helpers/db.js';
import { openDb } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { llmDecider, POISON } from './fault-plan.js';

export type Transport = 'pubsub' | 'streams';

/** Seeded users and their diary days: 2024-01-24 … 2024-02-04, across a month's end. */
export const USERS = 6;
export const DAYS = 12;
const FIRST_DAY = Date.parse('2024-01-24T00:00:00Z');
export const DRIVER_APP = 'chaos-driver';

export interface ChaosWorld {
  transport: Transport;
  redis: RedisServer;
  llm: FakeLlm;
  pool: pg.Pool;
  dbName: string;
  channel: string;
  env: Record<string, string>;
  users: string[];
  dates: string[];
  /** streams: the user whose only diary the fake LLM always fails. */
  poisonedUser: string | undefined;
  /** streams: publishes the poisoned job once, as a manual request. */
  poison(): Promise<void>;
  redisClient(): Promise<RedisClientType>;
  /** Gives (user, day) a new text (a new version); returns its marker. */
  edit(user: number, day: number): Promise<string>;
  /** Ends the connections of every process but the driver on the run database. */
  terminateBackends(): Promise<number>;
  close(): Promise<void>;
}

function text(marker: string): string {
  return `${marker}. ` + 'Walked along the river, met an old friend and talked about the week ahead. '.repeat(3);
}

export async function createChaosWorld(seed: number, transport: Transport): Promise<ChaosWorld> {
  const db = await createPostgresDatabase();
  const dbName = new URL(db.url).pathname.slice(1);
  const redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  const llm = await startFakeLlm({ decide: llmDecider(seed) });
  const driverUrl = new URL(db.url);
  driverUrl.searchParams.set('application_name', DRIVER_APP);
  const pool = new pg.Pool({ connectionString: driverUrl.toString(), max: 4 });
  pool.on('error', () => {});
  const channel = `chaos_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    DATABASE_URL: db.url,
    DIARY_CHANNEL: channel,
    QUEUE_TRANSPORT: transport,
    LLM_PROVIDER: 'openai',
    LLM_BASE_URL: llm.url,
    LLM_MODEL: 'fake-model',
    // Leases and timeouts with room for a busy machine's event-loop stalls (seconds at a load of 20
    // on two cores): a 2 s lease lapsed there, and its duplicate call was the machine's, not the code's.
    LLM_TIMEOUT: '5s',
    LLM_MAX_RETRIES: '2',
    SUMMARY_MIN_CHARS: '100',
    DEFAULT_TIMEZONE: 'UTC',
    SCHEDULER_INTERVAL: '1s',
    JOB_LEASE: '5s',
    JOB_TIMEOUT: '20s',
    SUBSCRIBER_MAX_CONCURRENT_JOBS: '4',
    USER_MAX_JOBS_PER_HOUR: '1000000',
    METRICS_PORT: '0',
    AUTO_MIGRATE: 'false',
    LOG_LEVEL: 'info',
  };
  // Migrated in this process, as a deploy's migrate job would before the fleet starts (a CLI
  // process more costs seconds on a busy machine).
  const migrating = await openDb({ databaseUrl: db.url, dataDir: '' });
  try {
    await migrate(migrating);
  } finally {
    await migrating.close();
  }

  const dates = Array.from({ length: DAYS }, (_, i) => new Date(FIRST_DAY + i * 86_400_000).toISOString().slice(0, 10));
  const users: string[] = [];
  for (let u = 0; u < USERS; u++) {
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (email, timezone) VALUES ($1, 'UTC') RETURNING id::text`, [`chaos${u}@example.com`]);
    const id = (rows[0] as { id: string }).id;
    users.push(id);
    // Half the users have monthly summaries too.
    if (u % 2 === 1) await pool.query('INSERT INTO user_llms (user_id, auto_summary_monthly) VALUES ($1, false)', [id]);
    for (const date of dates) await pool.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [id, date, text(`U${u} ${date} e0`)]);
  }
  let poisonedUser: string | undefined;
  if (transport === 'streams') {
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (email, timezone) VALUES ('poison@example.com', 'UTC') RETURNING id::text`);
    poisonedUser = (rows[0] as { id: string }).id;
    // No automatic summaries: the scheduler never publishes its job, only the driver does, once
    // (a manual request), so its deliveries run out and it is dead-lettered.
    await pool.query('INSERT INTO user_llms (user_id, auto_summary_daily, auto_summary_monthly) VALUES ($1, false, false)', [poisonedUser]);
    await pool.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [poisonedUser, dates[0], text(`P ${dates[0]} e0 ${POISON}`)]);
  }

  let client: RedisClientType | undefined;
  let edits = 0;
  const world: ChaosWorld = {
    transport,
    redis,
    llm,
    pool,
    dbName,
    channel,
    env,
    users,
    dates,
    poisonedUser,
    async poison() {
      if (!poisonedUser) return;
      // As `enqueue daily` publishes it (a manual request), in the wire format.
      const c = await world.redisClient();
      await c.xAdd(`${channel}:stream`, '*', { data: JSON.stringify({ type: 'daily_summary', user_id: poisonedUser, date: dates[0], trigger: 'manual' }) });
    },
    async redisClient() {
      if (!client || !client.isOpen) {
        client = createClient({ url: redis.url, socket: { reconnectStrategy: 100, connectTimeout: 2000 } }) as RedisClientType;
        client.on('error', () => {});
        await client.connect();
      }
      return client;
    },
    async edit(user, day) {
      const date = dates[day] as string;
      const marker = `U${user} ${date} e${++edits}`;
      await pool.query('UPDATE diaries SET content = $3 WHERE user_id = $1 AND date = $2', [users[user], date, text(marker)]);
      return marker;
    },
    async terminateBackends() {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ pid: number; application_name: string }>(
          'SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [dbName],
        );
        let n = 0;
        for (const r of rows) {
          if (r.application_name === DRIVER_APP) continue;
          const { rows: done } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [r.pid]);
          if (done[0]?.ok) n++;
        }
        return n;
      } finally {
        await admin.end();
      }
    },
    async close() {
      if (client?.isOpen) client.destroy();
      await pool.end();
      await llm.close();
      await redis.destroy();
      await db.drop();
    },
  };
  return world;
}
