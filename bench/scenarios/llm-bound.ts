// Issue 8 item 2: 2,000 daily jobs, the fake LLM answering in 200 ms, at subscriber concurrency
// 10, 50 and 200, with real PostgreSQL writes, through the real `diary-events subscriber` process.
// Measured from the first publish to the last row stored ('done').
import { dailyMessage } from '../../src/messages.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { envCount, promValue, rotate, sleep, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import type pg from 'pg';
import { benchDb, doneCount, processCpuSeconds, publisher, seedDiaries, startFakeLlmProcess, startSubscriberProcess, subscriberEnv } from '../lib/world.js';

/** CPU seconds used so far by each PostgreSQL backend serving the bench database. */
async function backendCpu(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  return new Map(rows.map((r) => [r.pid, processCpuSeconds(r.pid)] as const).filter(([, s]) => Number.isFinite(s)));
}

const LATENCY_MS = 200;
/**
 * Diaries per user in the LLM-bound jobs (BENCH_LLM_DAYS to change). USER_MAX_CONCURRENT_JOBS is
 * set to it, so the per-user limit does not shape this measure of the pipeline (the budget group
 * measures the limits).
 */
const DAYS = envCount('BENCH_LLM_DAYS', 10);
// Untimed jobs first, about 20 waves (at least one, at most 4,000): they open the pool's and the LLM's
// connections and let V8 compile the hot paths, as in a subscriber that has run for a while. One
// wave left the JIT's own compiling in the timed window (cost.ts measured the call alone at
// 0.45–0.61 ms of CPU after 200 calls, 0.15–0.22 after 4,000). BENCH_LLM_WARM_JOBS overrides it; --quick runs one wave.
const warmJobsFor = (c: number, quick: boolean): number => (quick ? c : envCount('BENCH_LLM_WARM_JOBS', Math.min(4000, 20 * c)));

function specs(kind: 'pubsub' | 'streams', c: number) {
  const name = kind === 'pubsub' ? 'Pub/Sub' : 'Streams';
  const client = `real subscriber process, ${name}, SUBSCRIBER_MAX_CONCURRENT_JOBS=${c}; pg pool ${Math.min(25, Math.max(10, c))}; node-redis 6.3 auto-pipelined`;
  return {
    throughput: { id: `llm.${kind}.c${c}`, group: 'llm', label: `${name}, concurrency ${c}: throughput (ideal ${((c * 1000) / LATENCY_MS).toFixed(0)}/s)`, client, unit: 'jobs/s', better: 'higher' } satisfies FigureSpec,
    ratio: { id: `llm.ratio.${kind}.c${c}`, group: 'llm', label: `${name}, concurrency ${c}: throughput ÷ (concurrency ÷ 200 ms) (goal ≥ 0.95)`, client: 'per run', unit: 'ratio', better: 'higher' } satisfies FigureSpec,
    llmMs: { id: `llm.${kind}.c${c}.llm-latency`, group: 'llm', label: `${name}, concurrency ${c}: LLM call latency seen by the subscriber (mean)`, client: 'diary_llm_request_duration_seconds sum ÷ count', unit: 'ms', better: 'lower' } satisfies FigureSpec,
    cpuPerJob: { id: `llm.${kind}.c${c}.cpu-per-job`, group: 'llm', label: `${name}, concurrency ${c}: CPU per job — subscriber + PostgreSQL backends + fake LLM (2 cores = 2,000 ms of CPU per second)`, client: '/proc/<pid>/stat utime+stime over the timed window', unit: 'ms', better: 'lower' } satisfies FigureSpec,
    cpuSplit: { id: `llm.${kind}.c${c}.cpu-split`, group: 'llm', label: `${name}, concurrency ${c}: of which PostgreSQL backends`, client: '/proc of the pg_stat_activity pids of the bench database (including the bench polling its done count every 20 ms)', unit: 'ms', better: 'lower' } satisfies FigureSpec,
    cpuSub: { id: `llm.${kind}.c${c}.cpu-subscriber`, group: 'llm', label: `${name}, concurrency ${c}: of which the subscriber process`, client: '/proc/<pid>/stat', unit: 'ms', better: 'lower' } satisfies FigureSpec,
    fakeCpu: { id: `llm.${kind}.c${c}.fake-llm-cpu`, group: 'llm', label: `${name}, concurrency ${c}: fake LLM process CPU (share of one core; it is not the bottleneck while ≪ 100%)`, client: '/proc/<pid>/stat', unit: 'ratio', better: 'lower' } satisfies FigureSpec,
  };
}

export async function runLlmBound(ctx: BenchContext, notes: string[]): Promise<void> {
  const jobs = ctx.quick ? 200 : 2000;
  const concurrencies = [10, 50, 200];
  const kinds: Array<'pubsub' | 'streams'> = ['pubsub', 'streams'];
  const cases = kinds.flatMap((k) => concurrencies.map((c) => ({ k, c }))).filter(({ k, c }) => wanted(ctx, `llm.${k}.c${c}`));
  if (cases.length === 0) return;
  const db = await benchDb();
  const llm = await startFakeLlmProcess(LATENCY_MS);
  notes.push(`LLM-bound: ${jobs} daily jobs per measurement (${jobs / DAYS} fresh users × ${DAYS} consecutive days, ~300 characters each), published by our transport in pages of 1,000 (as the scheduler does), consumed by \`node dist/cli.js subscriber\` with LLM_PROVIDER=openai against test/helpers/fake-llm.ts in its own process (${LATENCY_MS} ms per answer); timed from the first publish until ${jobs} rows are 'done' (polled every 20 ms), after an untimed warm-up of about 20 waves (20 × concurrency jobs, at most 4,000) for other users: it opens the database pool's and the LLM's connections and lets V8 compile the hot paths, as in a subscriber that has run for a while. Redis without persistence.`);
  try {
    for (let run = 0; run < ctx.runs; run++) {
      for (const { k, c } of rotate(cases, run)) {
        const f = specs(k, c);
        const redis = await startRedisServer();
        try {
          const { userIds, dates } = await seedDiaries(db.pool, jobs / DAYS, DAYS);
          const warm = await seedDiaries(db.pool, Math.ceil(Math.max(c, warmJobsFor(c, ctx.quick)) / DAYS), DAYS);
          const sub = await startSubscriberProcess(subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: k, llmUrl: llm.url, concurrency: c, extra: { USER_MAX_CONCURRENT_JOBS: String(DAYS) } }));
          const pub = await publisher(redis.url, k);
          try {
            // Warm-up, untimed (warmJobsFor).
            await pub.publish(warm.userIds.flatMap((u) => warm.dates.map((d) => dailyMessage(u, d))));
            const warmJobs = warm.userIds.length * warm.dates.length;
            await waitUntil(async () => (await doneCount(db.pool, warm.userIds)) >= warmJobs, { stallMs: 30_000, everyMs: 20, what: `llm ${k} c${c} warm-up` });
            const messages = userIds.flatMap((u) => dates.map((d) => dailyMessage(u, d)));
            const cpu0 = llm.cpuSeconds();
            const subPid = sub.cli.proc.pid ?? -1;
            const sub0 = processCpuSeconds(subPid);
            const pg0 = await backendCpu(db.pool);
            const t0 = performance.now();
            await pub.publish(messages);
            let done = 0;
            await waitUntil(
              async () => {
                done = await doneCount(db.pool, userIds);
                return done >= jobs;
              },
              { progress: () => done, stallMs: 30_000, everyMs: 20, what: `llm ${k} c${c}` },
            );
            const seconds = (performance.now() - t0) / 1000;
            const llmCpu = llm.cpuSeconds() - cpu0;
            const cpu = llmCpu / seconds;
            const pgCpu = [...(await backendCpu(db.pool))].reduce((a, [pid, s1]) => a + s1 - (pg0.get(pid) ?? 0), 0);
            const subCpu = processCpuSeconds(subPid) - sub0;
            ctx.book.record(f.cpuPerJob, (1000 * (subCpu + pgCpu + llmCpu)) / jobs);
            ctx.book.record(f.cpuSplit, (1000 * pgCpu) / jobs);
            ctx.book.record(f.cpuSub, (1000 * subCpu) / jobs);
            const throughput = jobs / seconds;
            const m = await sub.metrics();
            const llmSum = promValue(m, 'diary_llm_request_duration_seconds_sum');
            const llmCount = promValue(m, 'diary_llm_request_duration_seconds_count');
            ctx.book.record(f.throughput, throughput);
            ctx.book.record(f.ratio, throughput / ((c * 1000) / LATENCY_MS));
            ctx.book.record(f.llmMs, (1000 * llmSum) / Math.max(1, llmCount));
            ctx.book.record(f.fakeCpu, cpu);
            ctx.log(`  llm run ${run + 1}/${ctx.runs}: ${k} c=${c} ${throughput.toFixed(1)} jobs/s (ideal ${(c * 1000) / LATENCY_MS}), llm mean ${((1000 * llmSum) / Math.max(1, llmCount)).toFixed(0)} ms, CPU per job: subscriber ${((1000 * subCpu) / jobs).toFixed(2)} ms, PostgreSQL ${((1000 * pgCpu) / jobs).toFixed(2)} ms, fake LLM ${((1000 * llmCpu) / jobs).toFixed(2)} ms`);
          } finally {
            await pub.close();
            await sub.cli.stop('SIGTERM');
          }
        } catch (err) {
          ctx.error(`llm run ${run + 1}, ${k} c=${c}: ${(err as Error).message}`);
        } finally {
          await redis.destroy();
        }
        await sleep(200);
      }
    }
  } finally {
    await llm.stop();
    await db.drop();
  }
}
