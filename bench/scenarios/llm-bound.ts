// Issue 8 item 2: 2,000 daily jobs, the fake LLM answering in 200 ms, at subscriber concurrency
// 10, 50 and 200, with real PostgreSQL writes, through the real `diary-events subscriber` process.
// Measured from the first publish to the last row stored ('done').
import { dailyMessage } from '../../src/messages.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { promValue, rotate, sleep, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { benchDb, doneCount, publisher, seedDiaries, startFakeLlmProcess, startSubscriberProcess, subscriberEnv } from '../lib/world.js';

const LATENCY_MS = 200;
/** Diaries per user in the LLM-bound jobs (BENCH_LLM_DAYS to change). */
const DAYS = Number(process.env.BENCH_LLM_DAYS ?? 10);

function specs(kind: 'pubsub' | 'streams', c: number) {
  const name = kind === 'pubsub' ? 'Pub/Sub' : 'Streams';
  const client = `real subscriber process, ${name}, SUBSCRIBER_MAX_CONCURRENT_JOBS=${c}; pg pool ${Math.min(25, Math.max(10, c))}; node-redis 6.3 auto-pipelined`;
  return {
    throughput: { id: `llm.${kind}.c${c}`, group: 'llm', label: `${name}, concurrency ${c}: throughput (ideal ${((c * 1000) / LATENCY_MS).toFixed(0)}/s)`, client, unit: 'jobs/s', better: 'higher' } satisfies FigureSpec,
    ratio: { id: `llm.ratio.${kind}.c${c}`, group: 'llm', label: `${name}, concurrency ${c}: throughput ÷ (concurrency ÷ 200 ms) (goal ≥ 0.95)`, client: 'per run', unit: 'ratio', better: 'higher' } satisfies FigureSpec,
    llmMs: { id: `llm.${kind}.c${c}.llm-latency`, group: 'llm', label: `${name}, concurrency ${c}: LLM call latency seen by the subscriber (mean)`, client: 'diary_llm_request_duration_seconds sum ÷ count', unit: 'ms', better: 'lower' } satisfies FigureSpec,
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
  notes.push(`LLM-bound: ${jobs} daily jobs per measurement (${jobs / DAYS} fresh users × ${DAYS} consecutive days, ~300 characters each), published by our transport in pages of 1,000 (as the scheduler does), consumed by \`node dist/cli.js subscriber\` with LLM_PROVIDER=openai against test/helpers/fake-llm.ts in its own process (${LATENCY_MS} ms per answer); timed from the first publish until ${jobs} rows are 'done' (polled every 20 ms), after an untimed warm-up wave of \`concurrency\` jobs for other users (it opens the database pool's and the LLM's connections, which a long-running subscriber holds). Redis without persistence.`);
  try {
    for (let run = 0; run < ctx.runs; run++) {
      for (const { k, c } of rotate(cases, run)) {
        const f = specs(k, c);
        const redis = await startRedisServer();
        try {
          const { userIds, dates } = await seedDiaries(db.pool, jobs / DAYS, DAYS);
          const warm = await seedDiaries(db.pool, Math.ceil(c / DAYS), DAYS);
          const sub = await startSubscriberProcess(subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: k, llmUrl: llm.url, concurrency: c }));
          const pub = await publisher(redis.url, k);
          try {
            // Warm-up, untimed: one wave of jobs opens the pool's database connections and the
            // HTTP connections to the LLM, as a long-running subscriber has long done.
            await pub.publish(warm.userIds.flatMap((u) => warm.dates.map((d) => dailyMessage(u, d))));
            const warmJobs = warm.userIds.length * warm.dates.length;
            await waitUntil(async () => (await doneCount(db.pool, warm.userIds)) >= warmJobs, { stallMs: 30_000, everyMs: 20, what: `llm ${k} c${c} warm-up` });
            const messages = userIds.flatMap((u) => dates.map((d) => dailyMessage(u, d)));
            const cpu0 = llm.cpuSeconds();
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
            const cpu = (llm.cpuSeconds() - cpu0) / seconds;
            const throughput = jobs / seconds;
            const m = await sub.metrics();
            const llmSum = promValue(m, 'diary_llm_request_duration_seconds_sum');
            const llmCount = promValue(m, 'diary_llm_request_duration_seconds_count');
            ctx.book.record(f.throughput, throughput);
            ctx.book.record(f.ratio, throughput / ((c * 1000) / LATENCY_MS));
            ctx.book.record(f.llmMs, (1000 * llmSum) / Math.max(1, llmCount));
            ctx.book.record(f.fakeCpu, cpu);
            ctx.log(`  llm run ${run + 1}/${ctx.runs}: ${k} c=${c} ${throughput.toFixed(1)} jobs/s (ideal ${(c * 1000) / LATENCY_MS}), llm mean ${((1000 * llmSum) / Math.max(1, llmCount)).toFixed(0)} ms, fake LLM cpu ${(cpu * 100).toFixed(0)}%`);
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
