// Issue 8 item 3: one scheduler tick over 10,000, 100,000 and 1,000,000 diaries with 1,000 due.
// The target queries are timed by bench/target-queries.ts (one seed per size: users × 100 days,
// median of 7 queries); the publishing part of the tick — one message per target found, in pages
// of 1,000 through our Pub/Sub transport, as publishTargets does — is timed in every run.
import { monthlyMessage, dailyMessage } from '../../src/messages.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import type { TargetQueryFigure } from '../target-queries.js';
import { rotate, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { publisher } from '../lib/world.js';
import { randomUUID } from 'node:crypto';

const DUE = 1000;

function label(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
}

function specs(n: number) {
  const size = `${n.toLocaleString('en-US')} diaries (${(n / 100).toLocaleString('en-US')} users × 100 days)`;
  const s = (id: string, what: string, client: string, unit: FigureSpec['unit'] = 'ms'): FigureSpec => ({
    id: `scheduler.${label(n)}.${id}`, group: 'scheduler', label: `${size}: ${what}`, client, unit, better: 'lower',
  });
  return {
    daily: s('daily-query', 'daily target query', 'pg 8.23, PostgreSQL; median of 7 within one seed (target-queries.ts)'),
    monthly: s('monthly-query', 'monthly target query', 'pg 8.23; median of 7 within one seed'),
    publish: s('publish', `publish the targets found (${DUE} daily + due monthly)`, 'transport.publish (Pub/Sub), node-redis 6.3, pages of 1,000 in Promise.all'),
    tick: s('tick', 'tick = daily + monthly query + publish', 'sum of the above, per run'),
    seed: s('seed', 'seeding time (once)', 'SQL generate_series, VACUUM ANALYZE', 's'),
  };
}

export async function runScheduler(ctx: BenchContext, notes: string[]): Promise<void> {
  const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const selected = sizes.filter((n) => wanted(ctx, `scheduler.${label(n)}`));
  if (selected.length === 0) return;
  // target-queries.ts parses process.argv strictly when it loads (for its own command line), so
  // it is loaded with the bench's options hidden.
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  const { measureTargetQueries } = await import('../target-queries.js').finally(() => {
    process.argv = argv;
  });
  const queries = new Map<number, TargetQueryFigure>();
  for (const n of selected) {
    const t = performance.now();
    const q = await measureTargetQueries(n, DUE, false);
    queries.set(n, q);
    ctx.book.record(specs(n).seed, q.seedSeconds);
    ctx.log(`  scheduler ${label(n)}: daily ${q.dailyMs.toFixed(1)} ms (${q.dailyFound} found), monthly ${q.monthlyMs.toFixed(1)} ms (${q.monthlyFound} found), seed ${q.seedSeconds.toFixed(0)} s, total ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  notes.push(
    `Scheduler: the ${selected.map((n) => n.toLocaleString('en-US')).join(' / ')}-diary cases are users × 100 days each (bench/target-queries.ts seeds that shape, so 1,000,000 diaries = 10,000 users × 100 days, not the issue's 100,000 users × 10); ${DUE} days and up to ${DUE} months are due. The queries were measured once per size (one seed, median of 7 queries: min–max across runs is not available for them), the publishing in every run; a tick's tick-lock and bookkeeping (a few Redis commands and one INSERT) are not included.`,
  );
  const users = Array.from({ length: 100 }, () => randomUUID());
  for (let run = 0; run < ctx.runs; run++) {
    for (const n of rotate(selected, run)) {
      const q = queries.get(n) as TargetQueryFigure;
      const f = specs(n);
      const messages = [
        ...Array.from({ length: q.dailyFound }, (_, i) => dailyMessage(users[i % 100] as string, new Date(Date.UTC(2024, 0, 1 + Math.floor(i / 100))).toISOString().slice(0, 10))),
        ...Array.from({ length: q.monthlyFound }, (_, i) => monthlyMessage(users[i % 100] as string, 2020 + Math.floor(i / 1200), 1 + (Math.floor(i / 100) % 12))),
      ];
      const redis = await startRedisServer();
      const pub = await publisher(redis.url, 'pubsub');
      try {
        const t0 = performance.now();
        await pub.publish(messages.slice(0, q.dailyFound));
        await pub.publish(messages.slice(q.dailyFound));
        const publishMs = performance.now() - t0;
        ctx.book.record(f.daily, q.dailyMs);
        ctx.book.record(f.monthly, q.monthlyMs);
        ctx.book.record(f.publish, publishMs);
        ctx.book.record(f.tick, q.dailyMs + q.monthlyMs + publishMs);
      } finally {
        await pub.close();
        await redis.destroy();
      }
    }
  }
  const big = selected.at(-1) as number;
  const small = selected[0] as number;
  if (big !== small) {
    ctx.book.ratio(
      { id: `scheduler.ratio.tick-${label(big).toLowerCase()}-vs-${label(small).toLowerCase()}`, group: 'scheduler', label: `tick over ${big.toLocaleString('en-US')} ÷ tick over ${small.toLocaleString('en-US')} (goal ≤ 2×)`, client: 'per run', unit: 'ratio', better: 'lower' },
      specs(big).tick.id,
      specs(small).tick.id,
    );
    ctx.book.ratio(
      { id: `scheduler.ratio.daily-query-${label(big).toLowerCase()}-vs-${label(small).toLowerCase()}`, group: 'scheduler', label: `daily query over ${big.toLocaleString('en-US')} ÷ over ${small.toLocaleString('en-US')}`, client: 'one seed each', unit: 'ratio', better: 'lower' },
      specs(big).daily.id,
      specs(small).daily.id,
    );
  }
}
