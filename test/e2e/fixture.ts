// One end-to-end world per suite: a private redis-server, a throwaway PostgreSQL database, a fake
// LLM on loopback, and helpers to seed diaries, publish raw messages and read results.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from 'redis';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { createPostgresDatabase } from '../helpers/db.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { runCli, spawnCli, type CliProcess } from '../helpers/cli.js';
import { keysFor } from '../../src/transport/keys.js';

export type TransportKind = 'pubsub' | 'streams';

export interface SeedOptions {
  /** The day after the last diary. @defaultValue '2024-03-02' (the seeds then cross 29 February 2024) */
  end?: string;
  /** Automatic monthly summaries on. @defaultValue false */
  monthly?: boolean;
}

/** Past in every test run: the suites need old days, not "yesterday". */
export const DEFAULT_SEED_END = '2024-03-02';

/** E2E_REDIS=cluster: every suite on a six-node Redis Cluster with QUEUE_PARTITIONS=8. */
export const E2E_CLUSTER = process.env.E2E_REDIS === 'cluster';
export const CLUSTER_PARTITIONS = 8;

/** A cluster as a RedisServer: stopping it stops every node, starting it starts them all again. */
function clusterAsServer(cluster: RedisCluster): RedisServer {
  const first = cluster.nodes[0] as RedisCluster['nodes'][number];
  return {
    port: first.port,
    url: `redis://127.0.0.1:${first.port}`,
    dir: first.dir,
    async stop() {
      for (const n of cluster.nodes) await cluster.kill(n.port);
    },
    async start() {
      for (const n of cluster.nodes) await cluster.restart(n.port);
      await cluster.waitHealthy();
    },
    destroy: () => cluster.destroy(),
  };
}

export interface World {
  transport: TransportKind;
  /** Set when the world runs on a cluster (E2E_REDIS=cluster, or createWorld's `cluster`). */
  cluster: RedisCluster | undefined;
  redis: RedisServer;
  llm: FakeLlm;
  pool: pg.Pool;
  dbUrl: string;
  channel: string;
  env(extra?: Record<string, string>): Record<string, string>;
  spawn(args: string[], extra?: Record<string, string>): CliProcess;
  run(args: string[], extra?: Record<string, string>): ReturnType<typeof runCli>;
  /**
   * A user with `days` diaries ending the day before `end` (a fixed past date, so the suites do
   * not depend on today's date), each tagged "JOB-<user>-<date>". The user has automatic monthly
   * summaries off unless `monthly` is set, so a daily-only test never meets a month's job.
   */
  seed(days: number, options?: SeedOptions): Promise<{ userId: string; dates: string[] }>;
  /** Publishes raw text the way the configured transport carries it. */
  publishRaw(raw: string): Promise<void>;
  doneCount(userId?: string): Promise<number>;
  summaries(userId: string): Promise<Array<{ date: string; status: string; summary: string; error: string | null }>>;
  client(): Promise<RedisClientType>;
  close(): Promise<void>;
}

/** Every long-running process of a test, so a failing test still leaves nothing running. */
const spawned = new Set<CliProcess>();

/**
 * `cluster`: true starts a cluster of the world's own; a cluster given is shared (another world on
 * it uses other key names: each world has its own channel) and left running by close().
 */
export async function createWorld(transport: TransportKind, opts: { llmLatencyMs?: number; cluster?: boolean | RedisCluster } = {}): Promise<World> {
  const onCluster = opts.cluster ?? E2E_CLUSTER;
  const shared = typeof onCluster === 'object' ? onCluster : undefined;
  const cluster = shared ?? (onCluster ? await startRedisCluster({ appendfsync: transport === 'streams' ? 'always' : 'everysec' }) : undefined);
  const redis = cluster
    ? clusterAsServer(cluster)
    : await startRedisServer({ appendonly: transport === 'streams', appendfsync: transport === 'streams' ? 'always' : undefined });
  let clusterClient: RedisClusterType | undefined;
  let raws = 0;
  const llm = await startFakeLlm({ latencyMs: opts.llmLatencyMs ?? 0 });
  const db = await createPostgresDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
  const channel = `diary_e2e_${randomBytes(4).toString('hex')}`;
  const clusterKeys = keysFor(channel, { cluster: true, partitions: CLUSTER_PARTITIONS });
  let redisClient: RedisClientType | undefined;
  // Migrate once up front, as a deploy's migrate job would.
  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url,
    DATABASE_URL: db.url,
    DIARY_CHANNEL: channel,
    QUEUE_TRANSPORT: transport,
    LLM_PROVIDER: 'openai',
    LLM_BASE_URL: llm.url,
    LLM_MODEL: 'fake-model',
    LLM_TIMEOUT: '10s',
    SUMMARY_MIN_CHARS: '100',
    DEFAULT_TIMEZONE: 'UTC',
    JOB_LEASE: '2s',
    METRICS_PORT: '0',
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster.seeds, QUEUE_PARTITIONS: String(CLUSTER_PARTITIONS) } : {}),
    ...extra,
  });
  const migrated = await runCli(['migrate'], env());
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  let seeds = 0;
  const world: World = {
    transport,
    cluster,
    redis,
    llm,
    pool,
    dbUrl: db.url,
    channel,
    env,
    spawn(args, extra) {
      const p = spawnCli(args, env(extra));
      spawned.add(p);
      void p.exited.then(() => spawned.delete(p));
      return p;
    },
    run: (args, extra) => runCli(args, env(extra)),
    async seed(days, options = {}) {
      const end = options.end ?? DEFAULT_SEED_END;
      const n = ++seeds;
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO users (email, timezone) VALUES ($1, 'UTC') RETURNING id::text`,
        [`user${n}-${randomBytes(3).toString('hex')}@example.com`],
      );
      const userId = (rows[0] as { id: string }).id;
      if (!options.monthly) await pool.query('INSERT INTO user_llms (user_id, auto_summary_monthly) VALUES ($1, false)', [userId]);
      const dates: string[] = [];
      const endMs = Date.parse(`${end}T00:00:00Z`);
      for (let i = days; i >= 1; i--) {
        const date = new Date(endMs - i * 86_400_000).toISOString().slice(0, 10);
        dates.push(date);
        const text = `JOB-${n}-${date}. ` + 'Today I walked along the river and thought about the week. '.repeat(4);
        await pool.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [userId, date, text]);
      }
      return { userId, dates };
    },
    async client() {
      if (!redisClient || !redisClient.isOpen) {
        redisClient = createClient({ url: redis.url, socket: { reconnectStrategy: 100 } }) as RedisClientType;
        redisClient.on('error', () => {});
        await redisClient.connect();
      }
      return redisClient;
    },
    async publishRaw(raw) {
      if (cluster) {
        if (!clusterClient?.isOpen) {
          clusterClient = createCluster({ rootNodes: cluster.seeds.split(',').map((url) => ({ url: `redis://${url}` })) });
          clusterClient.on('error', () => {});
          await clusterClient.connect();
        }
        // Pub/Sub: the ADR's plain PUBLISH; streams: the partitions in turn.
        if (transport === 'pubsub') await clusterClient.publish(channel, raw);
        else await clusterClient.xAdd(clusterKeys.partitions[raws++ % CLUSTER_PARTITIONS]?.stream ?? '', '*', { data: raw });
        return;
      }
      const c = await world.client();
      if (transport === 'pubsub') await c.publish(channel, raw);
      else await c.xAdd(`${channel}:stream`, '*', { data: raw });
    },
    async doneCount(userId) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM diary_summary_days WHERE status = 'done' AND ($1::uuid IS NULL OR user_id = $1)`,
        [userId ?? null],
      );
      return (rows[0] as { n: number }).n;
    },
    async summaries(userId) {
      const { rows } = await pool.query(
        `SELECT date::text AS date, status, summary, error FROM diary_summary_days WHERE user_id = $1 ORDER BY date`,
        [userId],
      );
      return rows;
    },
    async close() {
      await Promise.all([...spawned].map((p) => p.stop('SIGKILL')));
      if (redisClient?.isOpen) redisClient.destroy();
      if (clusterClient?.isOpen) clusterClient.destroy();
      await pool.end();
      await llm.close();
      if (!shared) await redis.destroy();
      await db.drop();
    },
  };
  return world;
}

/** Waits until the subscriber says it listens. */
export async function startSubscriber(world: World, extra?: Record<string, string>): Promise<CliProcess> {
  const p = world.spawn(['subscriber'], extra);
  await p.waitForLog((l) => l.msg === 'subscriber listening');
  return p;
}

/** LLM calls whose prompt carries a job's marker, per marker. */
export function callsPerMarker(llm: FakeLlm): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of llm.requests) {
    const text = (r.body?.messages ?? []).map((m) => m.content).join('\n');
    for (const m of text.matchAll(/JOB-\d+-\d{4}-\d{2}-\d{2}/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
  return counts;
}
