// Issue 19 goal 1: CPU per daily job — the subscriber, the PostgreSQL backends and Redis together,
// with the fake LLM's own CPU apart — for our subscriber (both transports) and, in the same run, a
// BullMQ worker that makes the same LLM call and one plain upsert of the same row (no markers, no
// version checks). The figure to watch is ours ÷ BullMQ's, measured side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { createClient } from 'redis';
import { dailyMessage } from '../../src/messages.js';
import { startRedisServer, type RedisServer } from '../../test/helpers/redis-server.js';
import { chunks, envCount, rotate, sleep, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { benchDb, doneCount, processCpuSeconds, publisher, seedDiaries, startFakeLlmProcess, startSubscriberProcess, subscriberEnv, type BenchDb } from '../lib/world.js';

const LATENCY_MS = 200;
const CONCURRENCY = 200;
const DAYS = 10;
const QUEUE = 'cost';
// Untimed jobs before the timed window: enough for V8 to have compiled the hot paths, as in a worker
// that has run for a while (a wave of CONCURRENCY jobs left the JIT's own compiling in the window:
// the call alone measured 0.45–0.61 ms of CPU after 200 calls, 0.15–0.22 after 4,000).
const WARM = envCount('BENCH_COST_WARM_JOBS', 4000);
/** --quick: one wave. */
const warmCount = (quick: boolean): number => (quick ? CONCURRENCY : WARM);
type Kind = 'pubsub' | 'streams' | 'bullmq' | 'call';
const NAMES: Record<Kind, string> = {
  pubsub: 'ours, Pub/Sub',
  streams: 'ours, Streams',
  bullmq: 'BullMQ worker (same LLM call + one plain upsert)',
  call: 'the LLM call alone (the same undici call, no queue, no database)',
};

function spec(kind: Kind, part: string, label: string, client: string, unit: 'ms' | 'ratio' = 'ms'): FigureSpec {
  return { id: `cost.${kind}.${part}`, group: 'cost', label: `${NAMES[kind]}: ${label}`, client, unit, better: 'lower' };
}
const figures = (kind: Kind) => ({
  total: spec(kind, 'cpu-per-job', 'CPU per daily job — worker + PostgreSQL backends + Redis', `/proc utime+stime over the timed window; concurrency ${CONCURRENCY}, LLM ${LATENCY_MS} ms`),
  worker: spec(kind, 'cpu-worker', 'of which the worker process', '/proc/<pid>/stat'),
  pg: spec(kind, 'cpu-postgres', 'of which the PostgreSQL backends', "pg_stat_activity pids of the bench database, less the bench's own polling connection"),
  redis: spec(kind, 'cpu-redis', 'of which redis-server', 'INFO server process_id, /proc'),
  llm: spec(kind, 'cpu-fake-llm', 'the fake LLM (apart, not in the total)', '/proc/<pid>/stat'),
  bound: { ...spec(kind, 'llm-bound', `throughput ÷ (concurrency ÷ ${LATENCY_MS} ms), the LLM-bound ratio of the same run`, `jobs ÷ timed window (done polled every 100 ms); concurrency ${CONCURRENCY}`, 'ratio'), better: 'higher' as const },
  syscalls: { ...spec(kind, 'worker-syscalls', 'the worker process: read and write system calls per job', '/proc/<pid>/io syscr + syscw'), unit: 'count' as const },
});
const ratio = (kind: 'pubsub' | 'streams'): FigureSpec => ({
  id: `cost.ratio.${kind}-vs-bullmq`, group: 'cost', label: `CPU per daily job, ${NAMES[kind]} ÷ BullMQ worker (goal: ours ≤ a third of 2026-12-02's)`, client: 'per run, same database, same fake LLM', unit: 'ratio', better: 'lower',
});

const overFloor = (kind: 'pubsub' | 'streams' | 'bullmq'): FigureSpec => ({
  id: `cost.floor.${kind}`, group: 'cost', label: `Worker CPU per daily job, ${NAMES[kind]} ÷ the LLM call alone (what is not the call itself)`, client: 'per run, same fake LLM, same concurrency', unit: 'ratio', better: 'lower',
});

interface Cpu {
  worker: number;
  /** The worker's read and write system calls (each socket write on loopback costs the kernel's TCP path too). */
  syscalls: number;
  pg: number;
  redis: number;
  llm: number;
  /** Wall time of the timed window. */
  seconds: number;
}

/** Read and write system calls of a process so far (/proc/<pid>/io; NaN where it cannot be read). */
function processSyscalls(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/syscr: (\d+)/.exec(io)?.[1]) + Number(/syscw: (\d+)/.exec(io)?.[1]);
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds so far of every backend of the bench database but `skip` (the poller's own). */
async function backendCpu(poll: pg.Client, skip: number): Promise<Map<number, number>> {
  const { rows } = await poll.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1', [skip]);
  return new Map(rows.map((r) => [r.pid, processCpuSeconds(r.pid)] as const).filter(([, s]) => Number.isFinite(s)));
}

async function redisPid(srv: RedisServer): Promise<number> {
  const c = createClient({ url: srv.url });
  await c.connect();
  try {
    const info = await c.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  } finally {
    await c.quit();
  }
}

/** Runs `work` and returns the CPU each part spent meanwhile. */
async function measure(db: BenchDb, srv: RedisServer, workerPid: number, llmCpu: () => number, work: (poll: pg.Client) => Promise<void>): Promise<Cpu> {
  const poll = new pg.Client({ connectionString: db.url });
  await poll.connect();
  try {
    const self = (await poll.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? -1;
    const rPid = await redisPid(srv);
    const w0 = processCpuSeconds(workerPid);
    const s0 = processSyscalls(workerPid);
    const r0 = processCpuSeconds(rPid);
    const l0 = llmCpu();
    const pg0 = await backendCpu(poll, self);
    const t0 = performance.now();
    await work(poll);
    const seconds = (performance.now() - t0) / 1000;
    const pg1 = await backendCpu(poll, self);
    return {
      worker: processCpuSeconds(workerPid) - w0,
      syscalls: processSyscalls(workerPid) - s0,
      pg: [...pg1].reduce((a, [pid, s]) => a + s - (pg0.get(pid) ?? 0), 0),
      redis: processCpuSeconds(rPid) - r0,
      llm: llmCpu() - l0,
      seconds,
    };
  } finally {
    await poll.end();
  }
}

async function untilCount(poll: pg.Client, sql: string, userIds: readonly string[], want: number, what: string): Promise<void> {
  let n = 0;
  await waitUntil(
    async () => {
      n = (await poll.query<{ n: number }>(sql, [userIds])).rows[0]?.n ?? 0;
      return n >= want;
    },
    { progress: () => n, stallMs: 30_000, everyMs: 100, what },
  );
}
const OURS_DONE = `SELECT count(*)::int AS n FROM diary_summary_days WHERE status = 'done' AND user_id = ANY($1::uuid[])`;
const PLAIN_DONE = 'SELECT count(*)::int AS n FROM bench_plain_summary_days WHERE user_id = ANY($1::uuid[])';

async function ours(kind: 'pubsub' | 'streams', db: BenchDb, srv: RedisServer, llm: { url: string; cpuSeconds(): number }, jobs: number, warmN: number): Promise<Cpu> {
  const { userIds, dates } = await seedDiaries(db.pool, jobs / DAYS, DAYS);
  const warm = await seedDiaries(db.pool, warmN / DAYS, DAYS);
  const sub = await startSubscriberProcess(subscriberEnv({ redisUrl: srv.url, dbUrl: db.url, transport: kind, llmUrl: llm.url, concurrency: CONCURRENCY, extra: { USER_MAX_CONCURRENT_JOBS: String(DAYS) } }));
  const pub = await publisher(srv.url, kind);
  try {
    // Untimed warm-up: opens the pool's and the LLM's connections, as a long-running worker has.
    await pub.publish(warm.userIds.flatMap((u) => warm.dates.map((d) => dailyMessage(u, d))));
    await waitUntil(async () => (await doneCount(db.pool, warm.userIds)) >= warmN, { stallMs: 30_000, everyMs: 50, what: `cost ${kind} warm-up` });
    return await measure(db, srv, sub.cli.proc.pid ?? -1, llm.cpuSeconds, async (poll) => {
      await pub.publish(userIds.flatMap((u) => dates.map((d) => dailyMessage(u, d))));
      await untilCount(poll, OURS_DONE, userIds, jobs, `cost ${kind}`);
    });
  } finally {
    await pub.close();
    await sub.cli.stop('SIGTERM');
  }
}

async function bullmq(db: BenchDb, srv: RedisServer, llm: { url: string; cpuSeconds(): number }, jobs: number, warmN: number): Promise<Cpu> {
  const { userIds, dates } = await seedDiaries(db.pool, jobs / DAYS, DAYS);
  const warm = await seedDiaries(db.pool, warmN / DAYS, DAYS);
  const contentOf = async (ids: readonly string[]) =>
    (await db.pool.query<{ user_id: string; date: string; content: string }>(
      `SELECT user_id::text, to_char(date, 'YYYY-MM-DD') AS date, content FROM diaries WHERE user_id = ANY($1::uuid[])`, [ids],
    )).rows;
  const [warmJobs, timedJobs] = [await contentOf(warm.userIds), await contentOf(userIds)];
  if (timedJobs.length !== jobs || dates.length !== DAYS) throw new Error('cost: seeding went wrong');
  const script = fileURLToPath(new URL('../lib/bullmq-llm-worker.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, REDIS_PORT: String(srv.port), DATABASE_URL: db.url, LLM_URL: llm.url, CONCURRENCY: String(CONCURRENCY), QUEUE },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: srv.port } });
  const add = async (rows: ReadonlyArray<{ user_id: string; date: string; content: string }>) => {
    for (const batch of chunks(rows, 1000)) await queue.addBulk(batch.map((data) => ({ name: 'daily', data, opts: { removeOnComplete: true, removeOnFail: true } })));
  };
  const said = linesOf(proc, 'bullmq worker');
  try {
    await said('ready');
    await add(warmJobs);
    await waitUntil(async () => ((await db.pool.query<{ n: number }>(PLAIN_DONE, [warm.userIds])).rows[0]?.n ?? 0) >= warmN, { stallMs: 30_000, everyMs: 50, what: 'cost bullmq warm-up' });
    return await measure(db, srv, proc.pid ?? -1, llm.cpuSeconds, async (poll) => {
      await add(timedJobs);
      await untilCount(poll, PLAIN_DONE, userIds, jobs, 'cost bullmq');
    });
  } finally {
    await queue.close();
    await stopChild(proc);
  }
}

/** Waits for whole lines a child prints on stdout: `said('ready')` resolves at the line "ready". */
function linesOf(proc: ChildProcess, name: string): (word: string) => Promise<void> {
  if (!proc.stdout) throw new Error(`${name}: no stdout pipe`);
  const lines = createInterface({ input: proc.stdout });
  return (word) =>
    new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${name} exited ${code} before "${word}"`));
      const onLine = (line: string) => {
        if (line.trim() !== word) return;
        lines.off('line', onLine);
        proc.off('exit', onExit);
        resolve();
      };
      lines.on('line', onLine);
      proc.once('exit', onExit);
    });
}

/** SIGTERM to a child still running, and its exit. */
async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** The call alone (bench/lib/llm-call-floor.ts): its process's CPU and system calls, no database, no Redis. */
async function callFloor(llm: { url: string; cpuSeconds(): number }, jobs: number, warmN: number): Promise<Cpu> {
  const script = fileURLToPath(new URL('../lib/llm-call-floor.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, LLM_URL: llm.url, CONCURRENCY: String(CONCURRENCY), JOBS: String(jobs), WARM: String(warmN) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const said = linesOf(proc, 'LLM call floor');
  try {
    await said('ready');
    const pid = proc.pid ?? -1;
    const [w0, s0, l0] = [processCpuSeconds(pid), processSyscalls(pid), llm.cpuSeconds()];
    const done = said('done');
    const t0 = performance.now();
    proc.stdin.write('go\n');
    await done;
    const seconds = (performance.now() - t0) / 1000;
    return { worker: processCpuSeconds(pid) - w0, syscalls: processSyscalls(pid) - s0, pg: 0, redis: 0, llm: llm.cpuSeconds() - l0, seconds };
  } finally {
    await stopChild(proc);
  }
}

export async function runCost(ctx: BenchContext, notes: string[]): Promise<void> {
  const kinds = (['streams', 'pubsub', 'bullmq', 'call'] as const).filter((k) => wanted(ctx, `cost.${k}`) || wanted(ctx, 'cost.ratio') || wanted(ctx, 'cost.floor'));
  if (kinds.length === 0) return;
  const jobs = ctx.quick ? 400 : 2000;
  const db = await benchDb();
  await db.pool.query('CREATE TABLE bench_plain_summary_days (LIKE diary_summary_days INCLUDING ALL)');
  const llm = await startFakeLlmProcess(LATENCY_MS);
  const warmN = warmCount(ctx.quick);
  notes.push(`Cost per job (issue 19): ${jobs} daily jobs per measurement (${jobs / DAYS} fresh users × ${DAYS} days, ~300 characters each) at concurrency ${CONCURRENCY}, the fake LLM in its own process answering in ${LATENCY_MS} ms, after ${warmN} untimed warm-up jobs; one database, one fresh redis-server per measurement. Ours is \`node dist/cli.js subscriber\`; the comparator is bench/lib/bullmq-llm-worker.ts (bullmq over ioredis, the same undici call, one INSERT … ON CONFLICT into a trigger-free copy of diary_summary_days), its jobs added with addBulk inside the timed window as ours are published inside it. CPU is utime+stime from /proc of the worker, every PostgreSQL backend of the bench database except the bench's polling connection (every 100 ms), and redis-server; the fake LLM's CPU is reported apart. The LLM call alone is bench/lib/llm-call-floor.ts: the comparator's undici call at the same concurrency with no queue and no database, the floor under any worker's CPU per job; worker ÷ it shows what a worker spends beyond the call.`);
  try {
    for (let run = 0; run < ctx.runs; run++) {
      // Per kind this run: CPU per job in all, and of the worker.
      const got = new Map<Kind, { total: number; worker: number }>();
      for (const kind of rotate([...kinds], run)) {
        const srv = await startRedisServer();
        try {
          const cpu = kind === 'bullmq' ? await bullmq(db, srv, llm, jobs, warmN) : kind === 'call' ? await callFloor(llm, jobs, warmN) : await ours(kind, db, srv, llm, jobs, warmN);
          const f = figures(kind);
          const per = (s: number) => (1000 * s) / jobs;
          const total = per(cpu.worker + cpu.pg + cpu.redis);
          ctx.book.record(f.worker, per(cpu.worker));
          ctx.book.record(f.llm, per(cpu.llm));
          ctx.book.record(f.syscalls, cpu.syscalls / jobs);
          ctx.book.record(f.bound, jobs / cpu.seconds / ((CONCURRENCY * 1000) / LATENCY_MS));
          // The call alone has no database and no Redis: its figure is the process's CPU only.
          if (kind !== 'call') {
            ctx.book.record(f.total, total);
            ctx.book.record(f.pg, per(cpu.pg));
            ctx.book.record(f.redis, per(cpu.redis));
          }
          got.set(kind, { total, worker: per(cpu.worker) });
          ctx.log(`  cost run ${run + 1}/${ctx.runs}: ${kind} ${total.toFixed(2)} ms CPU per job (worker ${per(cpu.worker).toFixed(2)}, PostgreSQL ${per(cpu.pg).toFixed(2)}, Redis ${per(cpu.redis).toFixed(2)}; fake LLM ${per(cpu.llm).toFixed(2)} apart)`);
        } catch (err) {
          ctx.error(`cost run ${run + 1}, ${kind}: ${(err as Error).message}`);
        } finally {
          await srv.destroy();
        }
        await sleep(200);
      }
      const base = got.get('bullmq')?.total;
      for (const kind of ['streams', 'pubsub'] as const) {
        const mine = got.get(kind)?.total;
        if (base !== undefined && mine !== undefined) ctx.book.record(ratio(kind), mine / base);
      }
      const floor = got.get('call')?.worker;
      for (const kind of ['streams', 'pubsub', 'bullmq'] as const) {
        const w = got.get(kind)?.worker;
        if (floor !== undefined && floor > 0 && w !== undefined) ctx.book.record(overFloor(kind), w / floor);
      }
    }
  } finally {
    await llm.stop();
    await db.drop();
  }
}
