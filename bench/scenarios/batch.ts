// Issue 17's measures of fairness and of the Batch API, with a real `diary-events scheduler`,
// real subscriber processes, real PostgreSQL and the fake LLM (with its Batch API) in this process:
//  - fairness: user A has 2,000 due days, user B 5, all found by the scheduler's ticks at once;
//    when B's last summary is stored, in seconds and as a share of A's whole run;
//  - batch: 1,000 scheduled jobs with LLM_BATCH=on: live calls (goal 0), what the tokens cost at
//    the fake's prices against the same tokens live (goal 0.5), and diaries edited while their
//    batch waits: how many got the old text's answer stored (goal 0).
import type pg from 'pg';
import { costOf, parsePrices } from '../../src/llm-prices.js';
import { spawnCli, type CliProcess } from '../../test/helpers/cli.js';
import { startFakeLlm } from '../../test/helpers/fake-llm.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { sleep, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { benchDb, doneCount, startSubscriberProcess, subscriberEnv, type Subscriber } from '../lib/world.js';

const SUBSCRIBERS = 3;
const PRICES = 'fake-model=1/2';

const F = {
  fairB: { id: 'batch.fairness.b-last', group: 'batch', label: 'Fairness: user B (5 due days) beside user A (2,000): B’s last summary stored, from the scheduler’s start', client: `scheduler (1 s ticks, SCHEDULER_MAX_PER_USER 100) + ${SUBSCRIBERS} subscribers`, unit: 's', better: 'lower' } satisfies FigureSpec,
  fairShare: { id: 'batch.fairness.b-share', group: 'batch', label: 'Fairness: B’s last summary ÷ A’s whole run', client: 'per run', unit: 'ratio', better: 'lower' } satisfies FigureSpec,
  fairA: { id: 'batch.fairness.a-run', group: 'batch', label: 'Fairness: A’s 2,000 days all stored', client: 'per run', unit: 's', better: 'lower' } satisfies FigureSpec,
  live: { id: 'batch.live-calls', group: 'batch', label: 'LLM_BATCH=on, 1,000 scheduled jobs: live calls (goal 0)', client: `scheduler + ${SUBSCRIBERS} subscribers, fake Batch API`, unit: 'count', better: 'lower' } satisfies FigureSpec,
  cost: { id: 'batch.cost-share', group: 'batch', label: 'LLM_BATCH=on: cost at the fake’s prices ÷ the same tokens live (goal 0.5)', client: `llm_token_usage at LLM_PRICES=${PRICES}`, unit: 'ratio', better: 'lower' } satisfies FigureSpec,
  overwritten: { id: 'batch.edits-overwritten', group: 'batch', label: 'LLM_BATCH=on: diaries edited while their batch waited whose old answer was stored (goal 0)', client: '20 edits per run', unit: 'count', better: 'lower' } satisfies FigureSpec,
  drain: { id: 'batch.drain', group: 'batch', label: 'LLM_BATCH=on: 1,000 scheduled jobs all stored (LLM_BATCH_MAX_WAIT 5 s, the fake moves a batch one status per poll)', client: 'per run', unit: 's', better: 'lower' } satisfies FigureSpec,
};

/** A user with `days` diaries from `start` (past days), automatic monthly summaries off. */
async function seedUser(pool: pg.Pool, start: string, days: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (email, timezone) VALUES ('bench-' || gen_random_uuid() || '@example.com', 'UTC') RETURNING id::text`);
  const id = (rows[0] as { id: string }).id;
  await pool.query('INSERT INTO user_llms (user_id, auto_summary_monthly) VALUES ($1, false)', [id]);
  await pool.query(
    `INSERT INTO diaries (user_id, date, content)
     SELECT $1::uuid, $2::date + d, 'Day ' || d || '. ' || repeat('Today I walked along the river and thought about the week. ', 5)
       FROM generate_series(0, $3 - 1) d`,
    [id, start, days],
  );
  return id;
}

async function currentCount(pool: pg.Pool, userIds: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM diary_summary_days s JOIN diaries d USING (user_id, date)
      WHERE s.status = 'done' AND s.source_version = d.version AND s.user_id = ANY($1::uuid[])`,
    [userIds],
  );
  return rows[0]?.n ?? 0;
}

export async function runBatch(ctx: BenchContext, notes: string[]): Promise<void> {
  const db = await benchDb();
  try {
    if (wanted(ctx, F.fairB.id)) {
      const aDays = ctx.quick ? 500 : 2000;
      notes.push(`Fairness: user A ${aDays} due days, user B 5, seeded before a scheduler (SCHEDULER_INTERVAL 1 s, SCHEDULER_MAX_PER_USER 100, USER_MAX_CONCURRENT_JOBS 2) and ${SUBSCRIBERS} subscribers (concurrency 4, pubsub) start; fake LLM 20 ms; times from the scheduler's spawn.`);
      for (let run = 0; run < ctx.runs; run++) {
        const redis = await startRedisServer();
        const llm = await startFakeLlm({ latencyMs: 20 });
        let subs: Subscriber[] = [];
        let scheduler: CliProcess | undefined;
        try {
          const a = await seedUser(db.pool, '2015-01-01', aDays);
          const b = await seedUser(db.pool, '2024-01-01', 5);
          const env = subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: 'pubsub', llmUrl: llm.url, concurrency: 4, extra: { USER_MAX_JOBS_PER_HOUR: '1000000', SCHEDULER_INTERVAL: '1s' } });
          subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => startSubscriberProcess(env)));
          const t0 = performance.now();
          scheduler = spawnCli(['scheduler'], env);
          let bAt = 0;
          let aDone = 0;
          await waitUntil(
            async () => {
              if (bAt === 0 && (await doneCount(db.pool, [b])) === 5) bAt = performance.now() - t0;
              aDone = await doneCount(db.pool, [a]);
              return bAt > 0 && aDone === aDays;
            },
            { progress: () => aDone, stallMs: 60_000, everyMs: 50, what: 'A and B' },
          );
          const aAt = performance.now() - t0;
          ctx.book.record(F.fairB, bAt / 1000);
          ctx.book.record(F.fairA, aAt / 1000);
          ctx.book.record(F.fairShare, bAt / aAt);
          ctx.log(`  fairness run ${run + 1}: B's 5 stored at ${(bAt / 1000).toFixed(1)} s, A's ${aDays} at ${(aAt / 1000).toFixed(1)} s (share ${(bAt / aAt).toFixed(3)})`);
        } catch (err) {
          ctx.error(`fairness run ${run + 1}: ${(err as Error).message}`);
        } finally {
          await scheduler?.stop('SIGTERM');
          await Promise.all(subs.map((s) => s.cli.stop('SIGTERM')));
          await llm.close();
          await redis.destroy();
        }
      }
    }
    if (wanted(ctx, F.live.id)) {
      const users = ctx.quick ? 20 : 100;
      const jobs = users * 10;
      notes.push(`Batch: ${users} users × 10 due days = ${jobs} scheduled jobs, LLM_BATCH=on, LLM_BATCH_MAX_WAIT 5 s, a scheduler (1 s ticks) and ${SUBSCRIBERS} subscribers; the fake Batch API moves a batch one status per poll (about 4 polls to completed) and answers each line as a live call would (same usage); 20 diaries edited while their request waits in a submitted batch; cost from llm_token_usage at ${PRICES} per 1M tokens.`);
      for (let run = 0; run < ctx.runs; run++) {
        const redis = await startRedisServer();
        const llm = await startFakeLlm({ latencyMs: 20 });
        let subs: Subscriber[] = [];
        let scheduler: CliProcess | undefined;
        try {
          await db.pool.query('TRUNCATE llm_token_usage');
          const ids: string[] = [];
          for (let u = 0; u < users; u++) ids.push(await seedUser(db.pool, '2024-01-01', 10));
          const env = subscriberEnv({
            redisUrl: redis.url, dbUrl: db.url, transport: 'pubsub', llmUrl: llm.url, concurrency: 4,
            extra: { LLM_BATCH: 'on', LLM_BATCH_MAX_WAIT: '5s', SCHEDULER_INTERVAL: '1s', USER_MAX_JOBS_PER_HOUR: '1000000', LLM_PRICES: PRICES },
          });
          subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => startSubscriberProcess(env)));
          const t0 = performance.now();
          scheduler = spawnCli(['scheduler'], env);
          await waitUntil(async () => llm.batches.length > 0, { timeoutMs: 120_000, everyMs: 50, what: 'a submitted batch' });
          const { rows: edits } = await db.pool.query<{ user_id: string; period: string; version: string }>(
            `SELECT user_id::text, period, version::text FROM llm_batch_requests
              WHERE state = 'batched' AND user_id = ANY($1::uuid[]) ORDER BY id LIMIT 20`,
            [ids],
          );
          for (const e of edits) {
            await db.pool.query("UPDATE diaries SET content = 'Edited. ' || content WHERE user_id = $1 AND date = $2", [e.user_id, e.period]);
          }
          let current = 0;
          await waitUntil(async () => (current = await currentCount(db.pool, ids)) === jobs, { progress: () => current, stallMs: 120_000, everyMs: 100, what: 'every day stored at its present version' });
          const drain = performance.now() - t0;
          const { rows: stale } = await db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM llm_batch_requests r
               JOIN unnest($1::uuid[], $2::text[], $3::bigint[]) AS e(user_id, period, version)
                 ON r.user_id = e.user_id AND r.period = e.period AND r.version = e.version
              WHERE r.state = 'done' AND r.error IS NULL`,
            [edits.map((e) => e.user_id), edits.map((e) => e.period), edits.map((e) => e.version)],
          );
          const { rows: usage } = await db.pool.query<{ model: string; batch: boolean; input_tokens: string; output_tokens: string }>(
            'SELECT model, batch, input_tokens::text, output_tokens::text FROM llm_token_usage WHERE user_id = ANY($1::uuid[])',
            [ids],
          );
          const cost = costOf(usage.map((u) => ({ model: u.model, batch: u.batch, inputTokens: Number(u.input_tokens), outputTokens: Number(u.output_tokens) })), parsePrices(PRICES));
          const overwritten = stale[0]?.n ?? 0;
          ctx.book.record(F.live, llm.calls);
          ctx.book.record(F.cost, cost.liveCost === 0 ? Number.NaN : cost.cost / cost.liveCost);
          ctx.book.record(F.overwritten, overwritten);
          ctx.book.record(F.drain, drain / 1000);
          ctx.log(`  batch run ${run + 1}: ${jobs} stored in ${(drain / 1000).toFixed(1)} s through ${llm.batches.length} batches, ${llm.calls} live calls, cost ${cost.cost.toFixed(4)} of ${cost.liveCost.toFixed(4)} live (${(cost.cost / cost.liveCost).toFixed(3)}), batch share ${cost.batchShare.toFixed(3)}, ${edits.length} edits while waiting, ${overwritten} overwritten`);
          if (edits.length === 0) ctx.error('batch: no request was waiting in a submitted batch to edit');
        } catch (err) {
          ctx.error(`batch run ${run + 1}: ${(err as Error).message}`);
        } finally {
          await scheduler?.stop('SIGTERM');
          await Promise.all(subs.map((s) => s.cli.stop('SIGTERM')));
          await llm.close();
          await redis.destroy();
        }
        await sleep(200);
      }
    }
  } finally {
    await db.drop();
  }
}
