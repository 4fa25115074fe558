// Issue 8 item 3: one scheduler tick over 10,000, 100,000 and 1,000,000 diaries with 1,000 due.
// bench/target-queries.ts seeds one database per size (n ÷ 10 users × 10 days, so 1,000,000
// diaries = 100,000 users as in the issue), all kept up while every run times
// the real daily and monthly jobs (publishTargets: target query pages + Pub/Sub publishes) per size.
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import type { TickContext, TickResult } from '../../src/scheduler/scheduled-job.js';
import { dailySummaryJob, monthlySummaryJob } from '../../src/scheduler/summary-jobs.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { DAYS_PER_USER, TARGET_OPTIONS, seededDatabase, usersFor, type SeededDb } from '../target-queries.js';
import { rotate, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { publisher } from '../lib/world.js';

const DUE = 1000;
/** Untimed ticks per size before the timed runs. */
const WARMUP = 3;

function label(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
}

function specs(n: number) {
  const size = `${n.toLocaleString('en-US')} diaries (${usersFor(n).toLocaleString('en-US')} users × ${DAYS_PER_USER} days)`;
  const s = (id: string, what: string, client: string, unit: FigureSpec['unit'] = 'ms'): FigureSpec => ({
    id: `scheduler.${label(n)}.${id}`, group: 'scheduler', label: `${size}: ${what}`, client, unit, better: 'lower',
  });
  return {
    daily: s('daily-query', 'daily target queries', 'findDailyTargets, pg 8.23: the page of 1,000 and the empty next page, as in a tick'),
    monthly: s('monthly-query', 'monthly target queries', 'findMonthlyTargets, pg 8.23: the page of 1,000 and the empty next page'),
    publish: s('publish', `publish the targets found (${DUE} daily + ${DUE} monthly)`, 'transport.publish (Pub/Sub), node-redis 6.3, one long-lived connection, pages of 1,000 in Promise.allSettled (publishTargets)'),
    tick: s('tick', 'tick = daily + monthly job (queries + publish)', 'dailySummaryJob + monthlySummaryJob .run(), one after the other'),
    seed: s('seed', 'seeding time (once)', 'SQL generate_series, marker triggers off and markers computed in bulk (target-queries.ts --verify-seed), VACUUM ANALYZE', 's'),
  };
}

/** `db` with the time spent in its queries added up. */
function timedDb(db: Db): { db: Db; ms: () => number } {
  let ms = 0;
  const timed: Db = {
    ...db,
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const t = performance.now();
      try {
        return await db.query<R>(sql, params);
      } finally {
        ms += performance.now() - t;
      }
    },
  };
  return { db: timed, ms: () => ms };
}

export async function runScheduler(ctx: BenchContext, notes: string[]): Promise<void> {
  const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const selected = sizes.filter((n) => wanted(ctx, `scheduler.${label(n)}`));
  if (selected.length === 0) return;
  const jobOpts = { intervalMs: 300_000, defaultTimezone: TARGET_OPTIONS.defaultTimezone, minChars: TARGET_OPTIONS.minChars };
  const jobs = { daily: dailySummaryJob(jobOpts), monthly: monthlySummaryJob(jobOpts) };
  const logger = createLogger({ level: 'silent' });
  const seeded = new Map<number, SeededDb>();
  // One redis-server and one publishing connection for the whole scenario, as a running scheduler
  // has (PUBLISH keeps no state, so the ticks do not affect each other).
  const redis = await startRedisServer();
  const pub = await publisher(redis.url, 'pubsub');
  try {
    // Every size is seeded first and stays up, so that each run measures every size side by side.
    for (const n of selected) {
      const s = await seededDatabase(n, DUE);
      seeded.set(n, s);
      ctx.book.record(specs(n).seed, s.seedSeconds);
      ctx.log(`  scheduler ${label(n)}: seeded in ${s.seedSeconds.toFixed(0)} s`);
    }
    notes.push(
      `Scheduler: the ${selected.map((n) => n.toLocaleString('en-US')).join(' / ')}-diary cases are users × ${DAYS_PER_USER} days each, as in the issue (1,000,000 diaries = 100,000 users; 10,000 = 1,000 users): every user wrote 2024-12-26 … 2025-01-04, so two months each, 1,200 characters a day. ${DUE} days are due (the first day of the first ${DUE} users by id) and ${DUE} months (the first by user among months with no due day: at 10,000 diaries, the January ones), so every size publishes ${DUE} daily + ${DUE} monthly jobs. The seed writes the rows with the marker triggers off and computes the markers in bulk (\`node --import tsx bench/target-queries.ts --diaries 10000 --verify-seed\` checks the result equals a seed through the triggers; unlike it, it leaves no dead tuples), then VACUUM ANALYZE. All sizes stay seeded while every run times, for each size in turn, the real dailySummaryJob and monthlySummaryJob (publishTargets: the query page of 1,000, its publishes, then the empty next page) with one long-lived redis-server and publishing connection; the query figures are the time inside db.query, publish is the rest. Caches are warm (each database was read by VACUUM ANALYZE and by ${WARMUP} untimed ticks before the runs; the whole data set fits in RAM). A tick's tick-lock and bookkeeping (a few Redis commands and one INSERT) are not included.`,
    );
    // Untimed ticks first: JIT, connections, the planner's statistics and the pages the queries read.
    for (let i = 0; i < WARMUP; i++) {
      for (const n of selected) await oneTick(n, false);
    }
    for (let run = 0; run < ctx.runs; run++) {
      for (const n of rotate(selected, run)) await oneTick(n, true);
    }
  } finally {
    await pub.close();
    await redis.destroy();
    for (const s of seeded.values()) await s.drop();
  }

  async function oneTick(n: number, record: boolean): Promise<void> {
    const f = specs(n);
    const s = seeded.get(n) as SeededDb;
    const timed = timedDb(s.db);
    const tc: TickContext = { db: timed.db, now: TARGET_OPTIONS.now, logger, publish: (m) => pub.transport.publish(m) };
    const t0 = performance.now();
    const daily: TickResult = await jobs.daily.run(tc);
    const dailyQueryMs = timed.ms();
    const monthly: TickResult = await jobs.monthly.run(tc);
    const tickMs = performance.now() - t0;
    const monthlyQueryMs = timed.ms() - dailyQueryMs;
    for (const [what, r] of [['daily', daily], ['monthly', monthly]] as const) {
      if (r.found !== DUE || r.published !== DUE) ctx.error(`scheduler ${label(n)}: ${what} job found ${r.found}, published ${r.published}, expected ${DUE}`);
    }
    if (!record) return;
    ctx.book.record(f.daily, dailyQueryMs);
    ctx.book.record(f.monthly, monthlyQueryMs);
    ctx.book.record(f.publish, tickMs - dailyQueryMs - monthlyQueryMs);
    ctx.book.record(f.tick, tickMs);
  }

  const big = selected.at(-1) as number;
  const small = selected[0] as number;
  if (big !== small) {
    const ratio = (id: string, what: string, fig: 'tick' | 'daily' | 'monthly', goal = '') => ctx.book.ratio(
      { id: `scheduler.ratio.${id}-${label(big).toLowerCase()}-vs-${label(small).toLowerCase()}`, group: 'scheduler', label: `${what} over ${big.toLocaleString('en-US')} ÷ over ${small.toLocaleString('en-US')}${goal}`, client: 'per run', unit: 'ratio', better: 'lower' },
      specs(big)[fig].id,
      specs(small)[fig].id,
    );
    ratio('tick', 'tick', 'tick', ' (goal ≤ 2×)');
    ratio('daily-query', 'daily target queries', 'daily');
    ratio('monthly-query', 'monthly target queries', 'monthly');
  }
}
