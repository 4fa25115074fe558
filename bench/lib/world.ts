// Real processes for the LLM-bound and memory scenarios: a throwaway PostgreSQL database with
// seeded diaries, fake LLMs in processes of their own, and the real `diary-events` CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDb } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { type JobMessage } from '../../src/messages.js';
import { keysFor } from '../../src/transport/keys.js';
import { createPubSubTransport } from '../../src/transport/pubsub/pubsub-transport.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { spawnCli, type CliProcess } from '../../test/helpers/cli.js';
import { assertBuilt } from './compiled.js';
import { createPostgresDatabase } from '../../test/helpers/db.js';
import { chunks, envCount } from './common.js';

export const CHANNEL = 'diary_bench';

export interface BenchDb {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function benchDb(): Promise<BenchDb> {
  const created = await createPostgresDatabase();
  const db = await openDb({ databaseUrl: created.url, dataDir: '' });
  await migrate(db);
  await db.close();
  const pool = new pg.Pool({ connectionString: created.url, max: 4 });
  pool.on('error', () => {});
  return {
    url: created.url,
    pool,
    async drop() {
      await pool.end();
      await created.drop();
    },
  };
}

/** `users` users in UTC with `days` diaries each (2024-01-01 onwards, ~300 characters). */
export async function seedDiaries(pool: pg.Pool, users: number, days: number): Promise<{ userIds: string[]; dates: string[] }> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (id, email, timezone)
     SELECT gen_random_uuid(), 'bench-' || gen_random_uuid() || '@example.com', 'UTC' FROM generate_series(1, $1)
     RETURNING id::text`,
    [users],
  );
  const userIds = rows.map((r) => r.id);
  await pool.query(
    `INSERT INTO diaries (user_id, date, content)
     SELECT u, DATE '2024-01-01' + d, 'Day ' || d || '. ' || repeat('Today I walked along the river and thought about the week. ', 5)
       FROM unnest($1::uuid[]) u CROSS JOIN generate_series(0, $2 - 1) d`,
    [userIds, days],
  );
  const dates = Array.from({ length: days }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10));
  return { userIds, dates };
}

export async function doneCount(pool: pg.Pool, userIds: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM diary_summary_days WHERE status = 'done' AND user_id = ANY($1::uuid[])`,
    [userIds],
  );
  return rows[0]?.n ?? 0;
}

export interface FakeLlmProcess {
  url: string;
  pid: number;
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** The fake LLM in a process of its own, so that it does not share the bench's event loop. */
export async function startFakeLlmProcess(latencyMs: number): Promise<FakeLlmProcess> {
  const script = fileURLToPath(new URL('../../test/helpers/fake-llm.ts', import.meta.url));
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, '--latency-ms', String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    proc.once('exit', (code) => reject(new Error(`fake LLM exited ${code}`)));
  });
  const pid = proc.pid as number;
  return {
    url,
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** utime + stime of a process in seconds, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export function subscriberEnv(opts: { redisUrl: string; dbUrl: string; transport: 'pubsub' | 'streams'; llmUrl: string; concurrency: number; extra?: Record<string, string> }): Record<string, string> {
  return {
    REDIS_URL: opts.redisUrl,
    DATABASE_URL: opts.dbUrl,
    DIARY_CHANNEL: CHANNEL,
    QUEUE_TRANSPORT: opts.transport,
    LLM_PROVIDER: 'openai',
    LLM_BASE_URL: opts.llmUrl,
    LLM_MODEL: 'fake-model',
    LLM_TIMEOUT: '30s',
    SUMMARY_MIN_CHARS: '100',
    DEFAULT_TIMEZONE: 'UTC',
    SUBSCRIBER_MAX_CONCURRENT_JOBS: String(opts.concurrency),
    METRICS_PORT: '0',
    AUTO_MIGRATE: 'false',
    LOG_LEVEL: 'info',
    // To profile the subscriber (Node 20 refuses --cpu-prof in NODE_OPTIONS):
    // BENCH_SUBSCRIBER_NODE_OPTIONS="--require ./bench/lib/cpu-prof-preload.cjs" BENCH_CPU_PROF_DIR=/tmp/prof
    ...(process.env.BENCH_SUBSCRIBER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SUBSCRIBER_NODE_OPTIONS } : {}),
    ...(process.env.BENCH_CPU_PROF_DIR ? { BENCH_CPU_PROF_DIR: process.env.BENCH_CPU_PROF_DIR } : {}),
    // Checked here, so a bad value stops the bench with its name instead of a profile at another rate.
    ...(process.env.BENCH_CPU_PROF_INTERVAL_US ? { BENCH_CPU_PROF_INTERVAL_US: String(envCount('BENCH_CPU_PROF_INTERVAL_US')) } : {}),
    ...opts.extra,
  };
}

export interface Subscriber {
  cli: CliProcess;
  metricsPort: number;
  metrics(): Promise<string>;
}

/** Spawns the real `diary-events subscriber` (dist/, checked current) and waits until it listens. */
export async function startSubscriberProcess(env: Record<string, string>): Promise<Subscriber> {
  assertBuilt();
  const cli = spawnCli(['subscriber'], env);
  try {
    const port = Number((await cli.waitForLog((l) => l.msg === 'metrics listening', 30_000)).metrics_port);
    await cli.waitForLog((l) => l.msg === 'subscriber listening', 30_000);
    return { cli, metricsPort: port, metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text() };
  } catch (err) {
    await cli.stop('SIGKILL');
    throw err;
  }
}

/** A publisher using our own transport, as the scheduler does (pages of 1,000 in Promise.all). */
export async function publisher(redisUrl: string, kind: 'pubsub' | 'streams'): Promise<{ transport: Transport; publish(ms: readonly JobMessage[]): Promise<void>; close(): Promise<void> }> {
  const logger = createLogger({ level: 'silent' });
  const client = await connectRedis({ url: redisUrl, role: 'publisher', logger });
  const keys = keysFor(CHANNEL);
  const transport =
    kind === 'pubsub'
      ? createPubSubTransport({ client, redisUrl, keys, logger })
      : createStreamsTransport({ client, redisUrl, keys, logger, consumerName: 'bench-publisher', leaseMs: 30_000, maxDeliveries: 5 });
  return {
    transport,
    async publish(ms) {
      for (const batch of chunks(ms, 1000)) await Promise.all(batch.map((m) => transport.publish(m)));
    },
    async close() {
      await transport.close();
      await closeRedis(client);
    },
  };
}
