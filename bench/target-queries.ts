// Cost of the scheduler's target queries as the tables grow while the due count stays fixed.
// Usage: node --import tsx bench/target-queries.ts [--diaries 10000,100000] [--due 1000] [--explain]
// Seeds a throwaway PostgreSQL database per size (users × 100 days), summarizes all but `due`
// days, then times findDailyTargets / findMonthlyTargets (median of 7) and prints EXPLAIN ANALYZE.
import { parseArgs } from 'node:util';
import { openDb } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { findDailyTargets, findMonthlyTargets, type TargetQueryOptions } from '../src/db/targets.js';
import { createPostgresDatabase } from '../test/helpers/db.js';

const { values } = parseArgs({
  options: { diaries: { type: 'string', default: '10000,100000' }, due: { type: 'string', default: '1000' }, explain: { type: 'boolean', default: false } },
});
const sizes = (values.diaries ?? '').split(',').map(Number);
const due = Number(values.due);
const DAYS_PER_USER = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export interface TargetQueryFigure {
  diaries: number;
  due: number;
  dailyMs: number;
  monthlyMs: number;
  dailyFound: number;
  monthlyFound: number;
  seedSeconds: number;
}

export async function measureTargetQueries(n: number, dueCount: number, explain: boolean): Promise<TargetQueryFigure> {
  const created = await createPostgresDatabase();
  const db = await openDb({ databaseUrl: created.url, dataDir: '' });
  try {
    await migrate(db);
    const users = Math.max(1, Math.floor(n / DAYS_PER_USER));
    const t0 = performance.now();
    await db.query(`INSERT INTO users (id, email) SELECT gen_random_uuid(), 'u' || g || '@example.com' FROM generate_series(1, $1) g`, [users]);
    // Every user writes DAYS_PER_USER consecutive days ending 2024-12-31, 1,200 characters each.
    await db.query(
      `INSERT INTO diaries (user_id, date, content)
       SELECT u.id, DATE '2024-12-31' - d, repeat('日記の本文。', 200)
         FROM users u CROSS JOIN generate_series(0, $1 - 1) d`,
      [DAYS_PER_USER],
    );
    // All summarized except `dueCount` days spread across users.
    await db.query(
      `INSERT INTO diary_summary_days (user_id, date, summary, model)
       SELECT user_id, date, 'summary', 'bench' FROM (
         SELECT user_id, date, row_number() OVER (ORDER BY date, user_id) AS rn FROM diaries) x
        WHERE rn > $1`,
      [dueCount],
    );
    await db.query(
      `INSERT INTO diary_summary_months (user_id, year, month, summary, model)
       SELECT user_id, year, month, 'month', 'bench' FROM diary_months`,
    );
    // …and `dueCount` months without a pending day lose their monthly summary.
    await db.query(
      `DELETE FROM diary_summary_months s USING (
         SELECT m.user_id, m.year, m.month FROM diary_months m
          WHERE NOT EXISTS (SELECT 1 FROM diaries d WHERE d.user_id = m.user_id AND d.needs_daily_summary
                              AND d.date >= make_date(m.year, m.month, 1)
                              AND d.date < (make_date(m.year, m.month, 1) + interval '1 month')::date)
          ORDER BY m.user_id, m.year, m.month LIMIT $1) x
        WHERE s.user_id = x.user_id AND s.year = x.year AND s.month = x.month`,
      [dueCount],
    );
    await db.exec('VACUUM ANALYZE');
    const seedSeconds = (performance.now() - t0) / 1000;
    const o: TargetQueryOptions = { now: new Date('2025-02-15T00:00:00Z'), defaultTimezone: 'Asia/Tokyo', minChars: 1000, limit: 100_000 };
    const dailyTimes: number[] = [];
    const monthlyTimes: number[] = [];
    let dailyFound = 0;
    let monthlyFound = 0;
    for (let i = 0; i < 7; i++) {
      let s = performance.now();
      dailyFound = (await findDailyTargets(db, o)).length;
      dailyTimes.push(performance.now() - s);
      s = performance.now();
      monthlyFound = (await findMonthlyTargets(db, o)).length;
      monthlyTimes.push(performance.now() - s);
    }
    if (explain) {
      for (const [name, fn] of [['daily', findDailyTargets], ['monthly', findMonthlyTargets]] as const) {
        const captured: string[] = [];
        await fn({ query: async <R>(sql: string, params?: readonly unknown[]) => {
          const rows = await db.query<Record<string, string>>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
          captured.push(...rows.map((r) => Object.values(r)[0] as string));
          return [] as R[];
        }, exec: async () => {} }, o);
        console.log(`\n### ${name} targets, ${n} diaries, ${dueCount} due\n\n\`\`\`\n${captured.join('\n')}\n\`\`\``);
      }
    }
    return { diaries: n, due: dueCount, dailyMs: median(dailyTimes), monthlyMs: median(monthlyTimes), dailyFound, monthlyFound, seedSeconds };
  } finally {
    await db.close();
    await created.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows: TargetQueryFigure[] = [];
  for (const n of sizes) rows.push(await measureTargetQueries(n, due, values.explain ?? false));
  console.log('\n| diaries | due | daily query (median of 7) | monthly query | daily found | monthly found |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.diaries} | ${r.due} | ${r.dailyMs.toFixed(2)} ms | ${r.monthlyMs.toFixed(2)} ms | ${r.dailyFound} | ${r.monthlyFound} |`);
  }
}
