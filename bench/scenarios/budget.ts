// Issue 17's measures of the LLM budget, with real `diary-events subscriber` processes, real
// PostgreSQL and a fake LLM that reports usage (test/helpers/fake-llm.ts, in this process so its
// usage log is at hand):
//  - budget kept: LLM_MAX_TPM = N shared by 3 subscribers while a backlog waits; the fake's
//    reported tokens per minute over the measured window, as a share of N (goal ≤ 1.05, > 0.9);
//  - priority: a backlog of schedule jobs, then one diary_saved job; its latency from publish to
//    stored summary, beside the time the backlog takes.
import { dailyMessage } from '../../src/messages.js';
import { startFakeLlm } from '../../test/helpers/fake-llm.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { sleep, wanted, waitUntil, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { benchDb, doneCount, publisher, seedDiaries, startSubscriberProcess, subscriberEnv, type Subscriber } from '../lib/world.js';

const SUBSCRIBERS = 3;

const F = {
  tpmShare: { id: 'budget.tpm-share', group: 'budget', label: 'LLM_MAX_TPM kept: reported tokens per minute ÷ N, 3 subscribers, backlog waiting (goal > 0.9 and ≤ 1.05)', client: 'fake LLM usage log over the window after a 10 s warm-up', unit: 'ratio', better: 'higher' } satisfies FigureSpec,
  tpmOver: { id: 'budget.tpm-429', group: 'budget', label: 'LLM_MAX_TPM kept: calls the provider (fake, limit N) refused with 429', client: 'fake LLM', unit: 'count', better: 'lower' } satisfies FigureSpec,
  prio: (k: string) => ({ id: `budget.priority.${k}`, group: 'budget', label: `${k === 'pubsub' ? 'Pub/Sub' : 'Streams'}: diary_saved job behind a schedule backlog, publish → stored`, client: '3 subscriber processes, SUBSCRIBER_MAX_CONCURRENT_JOBS=4', unit: 'ms', better: 'lower' }) satisfies FigureSpec,
  prioShare: (k: string) => ({ id: `budget.priority.${k}.share`, group: 'budget', label: `${k === 'pubsub' ? 'Pub/Sub' : 'Streams'}: that latency ÷ the backlog's drain time`, client: 'per run', unit: 'ratio', better: 'lower' }) satisfies FigureSpec,
};

async function startFleet(env: Record<string, string>): Promise<Subscriber[]> {
  return Promise.all(Array.from({ length: SUBSCRIBERS }, () => startSubscriberProcess(env)));
}

export async function runBudget(ctx: BenchContext, notes: string[]): Promise<void> {
  const windowMs = ctx.quick ? 20_000 : 60_000;
  const tpm = 120_000;
  const db = await benchDb();
  try {
    if (wanted(ctx, F.tpmShare.id)) {
      notes.push(`Budget kept: LLM_MAX_TPM=${tpm}, ${SUBSCRIBERS} subscribers (concurrency 4 each, pubsub), fake LLM answering in 50 ms with usage (prompt characters + answer characters as tokens) and itself limiting at ${tpm} tokens per sliding minute; measured over ${windowMs / 1000} s after 10 s, while jobs still wait.`);
      for (let run = 0; run < ctx.runs; run++) {
        const redis = await startRedisServer();
        const llm = await startFakeLlm({ latencyMs: 50, tokensPerMinute: tpm });
        const pub = await publisher(redis.url, 'pubsub');
        let subs: Subscriber[] = [];
        try {
          const { userIds, dates } = await seedDiaries(db.pool, 300, 2);
          const env = subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: 'pubsub', llmUrl: llm.url, concurrency: 4, extra: { LLM_MAX_TPM: String(tpm) } });
          subs = await startFleet(env);
          const jobs = userIds.flatMap((u) => dates.map((d) => dailyMessage(u, d)));
          await pub.publish(jobs);
          await sleep(10_000);
          const from = Date.now();
          await sleep(windowMs);
          const to = Date.now();
          const left = jobs.length - (await doneCount(db.pool, userIds));
          const tokens = llm.usage.filter((u) => u.at >= from && u.at < to).reduce((n, u) => n + u.tokens, 0);
          const perMinute = (tokens * 60_000) / (to - from);
          ctx.book.record(F.tpmShare, perMinute / tpm);
          ctx.book.record(F.tpmOver, llm.overLimit);
          ctx.log(`  budget run ${run + 1}: ${perMinute.toFixed(0)} tokens/min of ${tpm} (${(perMinute / tpm).toFixed(3)}), ${llm.overLimit} refused, ${left} jobs still waiting`);
          if (left === 0) ctx.error('budget: the backlog ran out inside the window; the share is not "while a backlog waits"');
        } catch (err) {
          ctx.error(`budget run ${run + 1}: ${(err as Error).message}`);
        } finally {
          await Promise.all(subs.map((s) => s.cli.stop('SIGTERM')));
          await pub.close();
          await llm.close();
          await redis.destroy();
        }
      }
    }
    for (const kind of ['pubsub', 'streams'] as const) {
      if (!wanted(ctx, F.prio(kind).id)) continue;
      const backlog = ctx.quick ? 1000 : 5000;
      if (kind === 'pubsub') notes.push(`Priority: ${backlog} schedule jobs (${backlog / 10} users × 10 days) published at once, then one diary_saved job of another user 1 s later; ${SUBSCRIBERS} subscribers, concurrency 4, fake LLM 20 ms; latency from its publish until its row is 'done'.`);
      for (let run = 0; run < ctx.runs; run++) {
        const redis = await startRedisServer();
        const llm = await startFakeLlm({ latencyMs: 20 });
        const pub = await publisher(redis.url, kind);
        let subs: Subscriber[] = [];
        try {
          const a = await seedDiaries(db.pool, backlog / 10, 10);
          const b = await seedDiaries(db.pool, 1, 1);
          subs = await startFleet(subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: kind, llmUrl: llm.url, concurrency: 4, extra: {} }));
          const t0 = performance.now();
          await pub.publish(a.userIds.flatMap((u) => a.dates.map((d) => dailyMessage(u, d))));
          await sleep(1000);
          const t1 = performance.now();
          await pub.publish([dailyMessage(b.userIds[0] as string, b.dates[0] as string, { trigger: 'diary_saved' })]);
          await waitUntil(async () => (await doneCount(db.pool, b.userIds)) === 1, { timeoutMs: 600_000, everyMs: 10, what: 'the saved diary' });
          const latency = performance.now() - t1;
          const aDone = await doneCount(db.pool, a.userIds);
          let done = aDone;
          await waitUntil(
            async () => (done = await doneCount(db.pool, a.userIds)) >= backlog,
            { progress: () => done, stallMs: 60_000, everyMs: 100, what: 'the backlog' },
          );
          const drain = performance.now() - t0;
          ctx.book.record(F.prio(kind), latency);
          ctx.book.record(F.prioShare(kind), latency / drain);
          ctx.log(`  priority ${kind} run ${run + 1}: diary_saved stored in ${latency.toFixed(0)} ms (${aDone} of ${backlog} schedule jobs done by then; backlog drained in ${(drain / 1000).toFixed(1)} s)`);
        } catch (err) {
          ctx.error(`priority ${kind} run ${run + 1}: ${(err as Error).message}`);
        } finally {
          await Promise.all(subs.map((s) => s.cli.stop('SIGTERM')));
          await pub.close();
          await llm.close();
          await redis.destroy();
        }
      }
    }
  } finally {
    await db.drop();
  }
}
