// Cost of the scheduler's target queries as the tables grow while the due count stays fixed.
// Usage: node --import tsx bench/target-queries.ts [--diaries 10000,100000] [--due 1000] [--explain]
//          [--seed bulk|triggers] [--verify-seed]
// Seeds a throwaway PostgreSQL database per size (n ÷ 10 users × 10 days, as in issue 8: 1,000,000
// diaries = 100,000 users), summarizes all but `due` days and all but `due` months, then times
// findDailyTargets / findMonthlyTargets (median of 7, warm: the seed's VACUUM ANALYZE and the
// first of the 7 runs have read the pages) and prints EXPLAIN (ANALYZE, BUFFERS).
// --verify-seed seeds the first size both ways (bulk and through the triggers) and compares them.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openDb, type Db, type Queryable } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { findDailyTargets, findMonthlyTargets, type TargetQueryOptions } from '../src/db/targets.js';
import { createPostgresDatabase } from '../test/helpers/db.js';

/** Every user writes the 10 consecutive days 2024-12-26 … 2025-01-04 (6 in December, 4 in January). */
export const DAYS_PER_USER = 10;
const LAST_DAY = `DATE '2025-01-04'`;
const CONTENT = `repeat('日記の本文。', 200)`; // 1,200 characters

export type SeedMode = 'bulk' | 'triggers';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export interface TargetQueryFigure {
  diaries: number;
  users: number;
  due: number;
  /** Median of 7. */
  dailyMs: number;
  monthlyMs: number;
  /** The first of the 7 (right after the seed's VACUUM ANALYZE). */
  dailyFirstMs: number;
  monthlyFirstMs: number;
  dailyFound: number;
  monthlyFound: number;
  seedSeconds: number;
}

export function usersFor(n: number): number {
  return Math.max(1, Math.floor(n / DAYS_PER_USER));
}

/**
 * The seed's shape, whichever way it is written. Users have deterministic ids (md5 of their
 * number), so two seeds of one size are the same rows. Due days: the first `due` by
 * (date, user_id) — the earliest day of the first `due` users. Due months: the first `due` by
 * (user_id, year, month) among months with no due day; every other day and month is summarized
 * ('done', written after its inputs).
 */
async function seedThroughTriggers(db: Db, users: number, due: number): Promise<void> {
  await db.query(`INSERT INTO users (id, email) SELECT md5('bench-user-' || g)::uuid, 'u' || g || '@example.com' FROM generate_series(1, $1) g`, [users]);
  await db.query(
    `INSERT INTO diaries (user_id, date, content)
     SELECT u.id, ${LAST_DAY} - d, ${CONTENT} FROM users u CROSS JOIN generate_series(0, $1 - 1) d`,
    [DAYS_PER_USER],
  );
  await db.query(
    `INSERT INTO diary_summary_days (user_id, date, summary, model)
     SELECT user_id, date, 'summary', 'bench' FROM (
       SELECT user_id, date, row_number() OVER (ORDER BY date, user_id) AS rn FROM diaries) x
      WHERE rn > $1`,
    [due],
  );
  await db.query(`INSERT INTO diary_summary_months (user_id, year, month, summary, model) SELECT user_id, year, month, 'month', 'bench' FROM diary_months`);
  await db.query(
    `DELETE FROM diary_summary_months s USING (
       SELECT m.user_id, m.year, m.month FROM diary_months m
        WHERE NOT EXISTS (SELECT 1 FROM diaries d WHERE d.user_id = m.user_id AND d.needs_daily_summary
                            AND d.date >= make_date(m.year, m.month, 1)
                            AND d.date < (make_date(m.year, m.month, 1) + interval '1 month')::date)
        ORDER BY m.user_id, m.year, m.month LIMIT $1) x
      WHERE s.user_id = x.user_id AND s.year = x.year AND s.month = x.month`,
    [due],
  );
}

/**
 * The same rows as seedThroughTriggers, written with the marker triggers off and the markers
 * computed in bulk as the triggers of 0002/0004 would leave them: a diary's needs_daily_summary is
 * false exactly when its daily summary (written after it) exists; a month row has
 * inputs_version = its diaries + its done daily summaries (one diary_month_touch each),
 * inputs_updated_at = the latest of their updated_at, and needs_monthly_summary false exactly when
 * its monthly summary (written after it) exists. Each statement commits on its own, so now()
 * grows from one to the next as in the trigger seed. (No dead tuples, unlike the trigger seed.)
 */
async function seedBulk(db: Db, users: number, due: number): Promise<void> {
  const marked = ['diaries', 'diary_months', 'diary_summary_days', 'diary_summary_months'];
  for (const t of marked) await db.exec(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
  try {
    await db.query(`INSERT INTO users (id, email) SELECT md5('bench-user-' || g)::uuid, 'u' || g || '@example.com' FROM generate_series(1, $1) g`, [users]);
    await db.query(
      `INSERT INTO diaries (user_id, date, content, needs_daily_summary)
       SELECT u.id, ${LAST_DAY} - d, ${CONTENT},
              (u.id, ${LAST_DAY} - d) IN (SELECT u2.id, ${LAST_DAY} - d2 FROM users u2 CROSS JOIN generate_series(0, $1 - 1) d2
                                             ORDER BY 2, 1 LIMIT $2)
         FROM users u CROSS JOIN generate_series(0, $1 - 1) d`,
      [DAYS_PER_USER, due],
    );
    await db.query(`INSERT INTO diary_summary_days (user_id, date, summary, model) SELECT user_id, date, 'summary', 'bench' FROM diaries WHERE NOT needs_daily_summary`);
    await db.query(
      `WITH m AS (
         SELECT d.user_id, extract(year FROM d.date)::int AS year, extract(month FROM d.date)::int AS month,
                greatest(max(d.updated_at), max(s.updated_at)) AS inputs_updated_at,
                count(*) + count(s.user_id) AS inputs_version,
                bool_or(d.needs_daily_summary) AS pending
           FROM diaries d
           LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date AND s.status IN ('done', 'failed')
          GROUP BY 1, 2, 3),
       due AS (SELECT user_id, year, month FROM m WHERE NOT pending ORDER BY user_id, year, month LIMIT $1)
       INSERT INTO diary_months (user_id, year, month, inputs_updated_at, inputs_version, needs_monthly_summary)
       SELECT user_id, year, month, inputs_updated_at, inputs_version, (user_id, year, month) IN (SELECT * FROM due) FROM m`,
      [due],
    );
    await db.query(`INSERT INTO diary_summary_months (user_id, year, month, summary, model) SELECT user_id, year, month, 'month', 'bench' FROM diary_months WHERE NOT needs_monthly_summary`);
  } finally {
    for (const t of marked) await db.exec(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  }
}

export async function seedTargets(db: Db, n: number, due: number, mode: SeedMode = 'bulk'): Promise<void> {
  await (mode === 'bulk' ? seedBulk : seedThroughTriggers)(db, usersFor(n), due);
  await db.exec('VACUUM ANALYZE');
}

/**
 * "Now" of every measurement: February 2025 in Asia/Tokyo, so all seeded days and months are past.
 * The limit is the scheduler's page (publish-targets.ts), so the `due` targets are one page.
 */
export const TARGET_OPTIONS: TargetQueryOptions = { now: new Date('2025-02-15T00:00:00Z'), defaultTimezone: 'Asia/Tokyo', minChars: 1000, limit: 1000 };
const OPTS = TARGET_OPTIONS;

export interface SeededDb {
  db: Db;
  diaries: number;
  users: number;
  seedSeconds: number;
  drop(): Promise<void>;
}

/** A throwaway database, migrated and seeded with `n` diaries of which `due` days and months are due. */
export async function seededDatabase(n: number, due: number, mode: SeedMode = 'bulk'): Promise<SeededDb> {
  const created = await createPostgresDatabase();
  const db = await openDb({ databaseUrl: created.url, dataDir: '' });
  const drop = async () => {
    await db.close();
    await created.drop();
  };
  try {
    await migrate(db);
    const t0 = performance.now();
    await seedTargets(db, n, due, mode);
    return { db, diaries: n, users: usersFor(n), seedSeconds: (performance.now() - t0) / 1000, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

export async function measureTargetQueries(n: number, dueCount: number, explain: boolean, mode: SeedMode = 'bulk'): Promise<TargetQueryFigure> {
  const { db, seedSeconds, drop } = await seededDatabase(n, dueCount, mode);
  try {
    const o: TargetQueryOptions = { ...OPTS, limit: Math.max(OPTS.limit, dueCount) };
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
      // As a tick runs them: the first page, then the (empty) page after its last target.
      const lastDaily = (await findDailyTargets(db, o)).at(-1);
      const lastMonthly = (await findMonthlyTargets(db, o)).at(-1);
      const runs = [
        ['daily targets', (q: Queryable) => findDailyTargets(q, o)],
        ['daily targets, next page', (q: Queryable) => findDailyTargets(q, o, lastDaily)],
        ['monthly targets', (q: Queryable) => findMonthlyTargets(q, o)],
        ['monthly targets, next page', (q: Queryable) => findMonthlyTargets(q, o, lastMonthly)],
      ] as const;
      for (const [name, fn] of runs) {
        const captured: string[] = [];
        await fn({ query: async <R>(sql: string, params?: readonly unknown[]) => {
          const rows = await db.query<Record<string, string>>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
          captured.push(...rows.map((r) => Object.values(r)[0] as string));
          return [] as R[];
        }, exec: async () => {} });
        console.log(`\n### ${name}, ${n} diaries, ${dueCount} due\n\n\`\`\`\n${captured.join('\n')}\n\`\`\``);
      }
    }
    return {
      diaries: n, users: usersFor(n), due: dueCount,
      dailyMs: median(dailyTimes), monthlyMs: median(monthlyTimes),
      dailyFirstMs: dailyTimes[0] as number, monthlyFirstMs: monthlyTimes[0] as number,
      dailyFound, monthlyFound, seedSeconds,
    };
  } finally {
    await drop();
  }
}

/** Fingerprints of everything the markers and targets depend on (ids and timestamps aside). */
async function fingerprint(db: Db): Promise<Record<string, string>> {
  const one = async (sql: string): Promise<string> => String(Object.values((await db.query<Record<string, unknown>>(sql))[0] ?? {})[0]);
  return {
    diaries: await one(`SELECT count(*) || ':' || md5(string_agg(concat_ws('|', user_id, date, version, needs_daily_summary, content_chars, md5(content)), ',' ORDER BY user_id, date)) FROM diaries`),
    diary_summary_days: await one(`SELECT count(*) || ':' || md5(string_agg(concat_ws('|', user_id, date, status, summary, model, attempts, source_version), ',' ORDER BY user_id, date)) FROM diary_summary_days`),
    diary_months: await one(`SELECT count(*) || ':' || md5(string_agg(concat_ws('|', user_id, year, month, inputs_version, needs_monthly_summary), ',' ORDER BY user_id, year, month)) FROM diary_months`),
    diary_summary_months: await one(`SELECT count(*) || ':' || md5(string_agg(concat_ws('|', user_id, year, month, status, summary, model, attempts, source_version), ',' ORDER BY user_id, year, month)) FROM diary_summary_months`),
    // inputs_updated_at is the latest updated_at of the month's diaries and done daily summaries.
    'months whose inputs_updated_at is not the latest input': await one(
      `SELECT count(*) FROM diary_months m WHERE m.inputs_updated_at IS DISTINCT FROM (
         SELECT greatest(max(d.updated_at), max(s.updated_at)) FROM diaries d
           LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date AND s.status IN ('done', 'failed')
          WHERE d.user_id = m.user_id AND extract(year FROM d.date) = m.year AND extract(month FROM d.date) = m.month)`,
    ),
    // The markers agree with the triggers' own rules (0002's *_current functions).
    'diaries whose marker disagrees with diary_daily_current': await one(
      `SELECT count(*) FROM diaries WHERE needs_daily_summary = diary_daily_current(user_id, date, updated_at, version)`,
    ),
    'months whose marker disagrees with diary_monthly_current': await one(
      `SELECT count(*) FROM diary_months WHERE needs_monthly_summary = diary_monthly_current(user_id, year, month, inputs_updated_at, inputs_version)`,
    ),
    'enabled user triggers': await one(`SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'`),
    'daily targets': JSON.stringify(await findDailyTargets(db, OPTS)),
    'monthly targets': JSON.stringify(await findMonthlyTargets(db, OPTS)),
  };
}

export async function verifySeed(n: number, dueCount: number): Promise<boolean> {
  const prints: Record<string, string>[] = [];
  for (const mode of ['triggers', 'bulk'] as const) {
    const seeded = await seededDatabase(n, dueCount, mode);
    try {
      console.log(`seed ${mode}: ${seeded.seedSeconds.toFixed(1)} s`);
      prints.push(await fingerprint(seeded.db));
    } finally {
      await seeded.drop();
    }
  }
  const [a, b] = prints as [Record<string, string>, Record<string, string>];
  let same = true;
  console.log(`\n| ${n} diaries, ${dueCount} due | through triggers | bulk | same |\n|---|---|---|---|`);
  for (const k of Object.keys(a)) {
    const eq = a[k] === b[k];
    same &&= eq;
    const show = (v: string | undefined) => (v && v.length > 60 ? `${v.length} chars, md5 ${createHash('md5').update(v).digest('hex').slice(0, 12)}` : v);
    console.log(`| ${k} | ${show(a[k])} | ${show(b[k])} | ${eq ? 'yes' : '**NO**'} |`);
  }
  return same;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      diaries: { type: 'string', default: '10000,100000' },
      due: { type: 'string', default: '1000' },
      explain: { type: 'boolean', default: false },
      seed: { type: 'string', default: 'bulk' },
      'verify-seed': { type: 'boolean', default: false },
    },
  });
  const sizes = (values.diaries ?? '').split(',').map(Number);
  const due = Number(values.due);
  const mode = values.seed;
  if (mode !== 'bulk' && mode !== 'triggers') throw new Error('--seed is bulk or triggers');
  if (values['verify-seed']) process.exit((await verifySeed(sizes[0] as number, due)) ? 0 : 1);
  const rows: TargetQueryFigure[] = [];
  for (const n of sizes) rows.push(await measureTargetQueries(n, due, values.explain ?? false, mode));
  console.log(`\n| diaries | users | due | seed (${mode}) | daily query (median of 7; first) | monthly query (median of 7; first) | daily found | monthly found |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.diaries} | ${r.users} | ${r.due} | ${r.seedSeconds.toFixed(1)} s | ${r.dailyMs.toFixed(2)} ms; ${r.dailyFirstMs.toFixed(2)} | ${r.monthlyMs.toFixed(2)} ms; ${r.monthlyFirstMs.toFixed(2)} | ${r.dailyFound} | ${r.monthlyFound} |`);
  }
}
