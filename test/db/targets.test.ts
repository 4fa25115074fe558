// The scheduler's target rules (DESIGN.md "Targets") on PostgreSQL and on PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { saveDailyOutcome, saveMonthlyOutcome, readDailyInput, readMonthlyInput } from '../../src/db/summaries.js';
import { findDailyTargets, findMonthlyTargets, type TargetQueryOptions } from '../../src/db/targets.js';
import { BACKENDS, insertUser, openTestDb, type TestDb } from '../helpers/db.js';

const LONG_JA = 'あ'.repeat(1000);
const SHORT = 'い'.repeat(999);

function opts(now: string, extra: Partial<TargetQueryOptions> = {}): TargetQueryOptions {
  return { now: new Date(now), defaultTimezone: 'Asia/Tokyo', minChars: 1000, limit: 1000, ...extra };
}

async function diary(db: Db, userId: string, date: string, content = LONG_JA): Promise<void> {
  await db.query(
    `INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, date) DO UPDATE SET content = excluded.content`,
    [userId, date, content],
  );
}

async function daily(db: Db, o: TargetQueryOptions, userId: string): Promise<string[]> {
  return (await findDailyTargets(db, o)).filter((t) => t.user_id === userId).map((t) => t.date);
}

async function monthly(db: Db, o: TargetQueryOptions, userId: string): Promise<string[]> {
  return (await findMonthlyTargets(db, o))
    .filter((t) => t.user_id === userId)
    .map((t) => `${t.year}-${String(t.month).padStart(2, '0')}`);
}

async function summarizeDay(db: Db, userId: string, date: string, status: 'done' | 'failed' = 'done'): Promise<void> {
  const input = await readDailyInput(db, userId, date);
  assert.ok(input, `diary ${date} exists`);
  assert.equal(await saveDailyOutcome(db, userId, date, input.version, { status, summary: 's', model: 'm', error: status === 'failed' ? 'bad key' : null }), true);
}

for (const backend of BACKENDS) {
  describe(`targets on ${backend}`, () => {
    let t: TestDb;
    let db: Db;
    before(async () => {
      t = await openTestDb(backend);
      db = t.db;
    });
    after(async () => {
      await t.drop();
    });

    test('migrations are idempotent and safe when run concurrently', async () => {
      assert.deepEqual(await migrate(db), []);
      const both = await Promise.all([migrate(db), migrate(db)]);
      assert.deepEqual(both, [[], []]);
      const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.ok(rows.length >= 2);
      assert.deepEqual(rows.map((r) => r.version), [...new Set(rows.map((r) => r.version))]);
    });

    test('a row can be inserted with only the columns DESIGN.md names', async () => {
      const u = await insertUser(db);
      await db.query(`INSERT INTO diaries (user_id, date, content) VALUES ($1, '2020-01-01', 'x')`, [u]);
      await db.query(`INSERT INTO user_llms (user_id) VALUES ($1)`, [u]);
      await db.query(`INSERT INTO diary_summary_days (user_id, date, summary) VALUES ($1, '2020-01-01', 's')`, [u]);
      await db.query(`INSERT INTO diary_summary_months (user_id, year, month, summary) VALUES ($1, 2020, 1, 's')`, [u]);
      const [types] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.columns
          WHERE table_name IN ('users','diaries','user_llms','diary_summary_days','diary_summary_months')
            AND data_type LIKE 'timestamp%' AND data_type <> 'timestamp with time zone'`,
      );
      assert.equal(types?.n, 0, 'every timestamp is timestamptz');
    });

    test('an invalid time zone is refused on write', async () => {
      await assert.rejects(insertUser(db, 'Mars/Olympus_Mons'));
    });

    test('daily: days before today in the user time zone, long enough, without a summary', async () => {
      const tokyo = await insertUser(db, 'Asia/Tokyo');
      const la = await insertUser(db, 'America/Los_Angeles');
      const dflt = await insertUser(db, null);
      // 2024-03-10 05:00Z is 14:00 on the 10th in Tokyo but 21:00 on the 9th in Los Angeles.
      const now = opts('2024-03-10T05:00:00Z');
      for (const u of [tokyo, la, dflt]) {
        await diary(db, u, '2024-03-08');
        await diary(db, u, '2024-03-09');
        await diary(db, u, '2024-03-10');
      }
      assert.deepEqual(await daily(db, now, tokyo), ['2024-03-08', '2024-03-09']);
      assert.deepEqual(await daily(db, now, la), ['2024-03-08'], "LA's today is the 9th");
      assert.deepEqual(await daily(db, now, dflt), ['2024-03-08', '2024-03-09'], 'NULL zone = DEFAULT_TIMEZONE (Tokyo)');
      assert.deepEqual(
        await daily(db, opts('2024-03-10T05:00:00Z', { defaultTimezone: 'America/Los_Angeles' }), dflt),
        ['2024-03-08'],
        'changing DEFAULT_TIMEZONE moves users without a zone',
      );
    });

    test('daily: SUMMARY_MIN_CHARS counts characters, not bytes', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-05-01', SHORT);
      await diary(db, u, '2024-05-02', LONG_JA);
      const now = opts('2024-06-01T00:00:00Z');
      assert.deepEqual(await daily(db, now, u), ['2024-05-02']);
      assert.deepEqual(await daily(db, { ...now, minChars: 999 }, u), ['2024-05-01', '2024-05-02']);
    });

    test('daily: a current summary is not a target; an edit after it makes the day one again', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-02-29');
      const now = opts('2024-03-05T00:00:00Z');
      assert.deepEqual(await daily(db, now, u), ['2024-02-29']);
      await summarizeDay(db, u, '2024-02-29');
      assert.deepEqual(await daily(db, now, u), []);
      await diary(db, u, '2024-02-29', `${LONG_JA}追記`);
      assert.deepEqual(await daily(db, now, u), ['2024-02-29'], 'edited after its summary');
    });

    test('daily: a summary row written by another tool is judged by updated_at', async () => {
      const u = await insertUser(db);
      await db.query(
        `INSERT INTO diaries (user_id, date, content, updated_at) VALUES ($1, '2024-04-01', $2, '2024-04-02T00:00:00Z')`,
        [u, LONG_JA],
      );
      await db.query(
        `INSERT INTO diary_summary_days (user_id, date, summary, updated_at) VALUES ($1, '2024-04-01', 'old', '2024-04-01T12:00:00Z')`,
        [u],
      );
      const now = opts('2024-05-01T00:00:00Z');
      assert.deepEqual(await daily(db, now, u), ['2024-04-01'], 'summary older than the diary');
      await db.query(`UPDATE diary_summary_days SET updated_at = '2024-04-03T00:00:00Z' WHERE user_id = $1`, [u]);
      assert.deepEqual(await daily(db, now, u), [], 'summary newer than the diary');
    });

    test('daily: permanent failure is not retried until the input or the settings change; transient is', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-01-10');
      const now = opts('2024-02-01T00:00:00Z');
      await summarizeDay(db, u, '2024-01-10', 'failed');
      assert.deepEqual(await daily(db, now, u), [], 'failed permanently');
      await db.query(`INSERT INTO user_llms (user_id, model) VALUES ($1, 'other-model')`, [u]);
      assert.deepEqual(await daily(db, now, u), ['2024-01-10'], 'settings changed');
      await summarizeDay(db, u, '2024-01-10', 'failed');
      assert.deepEqual(await daily(db, now, u), []);
      await db.query(`UPDATE user_llms SET model = 'third-model' WHERE user_id = $1`, [u]);
      assert.deepEqual(await daily(db, now, u), ['2024-01-10'], 'settings updated');
      const input = await readDailyInput(db, u, '2024-01-10');
      await saveDailyOutcome(db, u, '2024-01-10', input!.version, { status: 'retrying', error: '503' });
      assert.deepEqual(await daily(db, now, u), ['2024-01-10'], 'transient failure stays a target');
    });

    test('daily: users who turned auto daily off are skipped', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-01-10');
      await db.query(`INSERT INTO user_llms (user_id, auto_summary_daily) VALUES ($1, false)`, [u]);
      assert.deepEqual(await daily(db, opts('2024-02-01T00:00:00Z'), u), []);
      await db.query(`UPDATE user_llms SET auto_summary_daily = true WHERE user_id = $1`, [u]);
      assert.deepEqual(await daily(db, opts('2024-02-01T00:00:00Z'), u), ['2024-01-10']);
    });

    test('a result built from an older version of the diary is not stored', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-01-11');
      const before = await readDailyInput(db, u, '2024-01-11');
      await diary(db, u, '2024-01-11', `${LONG_JA}変更`);
      assert.equal(await saveDailyOutcome(db, u, '2024-01-11', before!.version, { status: 'done', summary: 'old' }), false);
      assert.deepEqual(await daily(db, opts('2024-02-01T00:00:00Z'), u), ['2024-01-11']);
    });

    test('monthly: months before the current one, waiting for pending days', async () => {
      const u = await insertUser(db, 'Asia/Tokyo');
      await diary(db, u, '2024-02-29');
      await diary(db, u, '2024-02-10', 'short day');
      // 2024-02-29T15:30Z is already March 1st in Tokyo.
      const now = opts('2024-02-29T15:30:00Z');
      assert.deepEqual(await monthly(db, now, u), [], 'Feb 29 still lacks its daily summary');
      await summarizeDay(db, u, '2024-02-29');
      assert.deepEqual(await monthly(db, now, u), ['2024-02'], 'short days do not block');
      const la = await insertUser(db, 'America/Los_Angeles');
      await diary(db, la, '2024-02-10', 'short');
      assert.deepEqual(await monthly(db, now, la), [], 'still February in Los Angeles');
      assert.deepEqual(await monthly(db, opts('2024-03-01T09:00:00Z'), la), ['2024-02']);
    });

    test('monthly: year boundary, current summary, and staleness after an edit', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2023-12-31', 'short');
      const now = opts('2023-12-31T15:00:00Z'); // 2024-01-01 00:00 in Tokyo
      assert.deepEqual(await monthly(db, now, u), ['2023-12']);
      const input = await readMonthlyInput(db, u, 2023, 12);
      assert.ok(input);
      assert.equal(await saveMonthlyOutcome(db, u, 2023, 12, input.version, { status: 'done', summary: 'm' }), true);
      assert.deepEqual(await monthly(db, now, u), [], 'current');
      await diary(db, u, '2023-12-30', 'another short day');
      assert.deepEqual(await monthly(db, now, u), ['2023-12'], 'inputs changed after the summary');
      assert.equal(await saveMonthlyOutcome(db, u, 2023, 12, input.version, { status: 'done', summary: 'stale' }), false, 'built from old inputs');
    });

    test('monthly: auto monthly off skips; auto daily off does not block the month', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-01-10'); // long, never summarized
      await db.query(`INSERT INTO user_llms (user_id, auto_summary_daily, auto_summary_monthly) VALUES ($1, false, false)`, [u]);
      const now = opts('2024-03-01T00:00:00Z');
      assert.deepEqual(await monthly(db, now, u), []);
      await db.query(`UPDATE user_llms SET auto_summary_monthly = true WHERE user_id = $1`, [u]);
      assert.deepEqual(await monthly(db, now, u), ['2024-01'], 'days are not pending when auto daily is off');
    });

    test('monthly: a month whose diaries were all deleted is no target', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-01-10', 'short');
      await db.query(`DELETE FROM diaries WHERE user_id = $1`, [u]);
      assert.deepEqual(await monthly(db, opts('2024-03-01T00:00:00Z'), u), []);
    });

    test('monthly input uses daily summaries where current and raw text elsewhere', async () => {
      const u = await insertUser(db);
      await diary(db, u, '2024-07-01');
      await diary(db, u, '2024-07-02', 'raw short text');
      await summarizeDay(db, u, '2024-07-01');
      const input = await readMonthlyInput(db, u, 2024, 7);
      assert.deepEqual(input?.entries, [
        { date: '2024-07-01', text: 's', isSummary: true },
        { date: '2024-07-02', text: 'raw short text', isSummary: false },
      ]);
    });

    test('paging with a cursor returns every target once', async () => {
      const u = await insertUser(db);
      for (let d = 1; d <= 9; d++) await diary(db, u, `2019-06-0${d}`);
      const seen: string[] = [];
      let cursor;
      for (;;) {
        const page = await findDailyTargets(db, opts('2019-07-01T00:00:00Z', { limit: 4 }), cursor);
        seen.push(...page.filter((t) => t.user_id === u).map((t) => t.date));
        if (page.length < 4) break;
        cursor = page[page.length - 1];
      }
      assert.equal(seen.length, 9);
      assert.equal(new Set(seen).size, 9);
    });
  });
}
