// The statements a job runs (one round trip to start, one to store), on PostgreSQL and PGlite:
// what they read and mark, that they commit asynchronously, and that they are prepared once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Queryable } from '../../src/db/db.js';
import {
  markMonthlyProcessing,
  readMonthlyInput,
  saveDailyOutcome,
  setDailyStatus,
  startDailyJob,
} from '../../src/db/summaries.js';
import { BACKENDS, insertUser, suiteDb } from '../helpers/db.js';

const TEXT = 'x'.repeat(300);

async function status(db: Queryable, userId: string, date: string): Promise<string | undefined> {
  const [row] = await db.query<{ status: string }>('SELECT status FROM diary_summary_days WHERE user_id = $1 AND date = $2', [userId, date]);
  return row?.status;
}

async function syncCommit(tx: Queryable): Promise<string> {
  const [row] = await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  return (row as { synchronous_commit: string }).synchronous_commit;
}

for (const backend of BACKENDS) {
  describe(`job statements on ${backend}`, () => {
    const suite = suiteDb(backend);

    test('startDailyJob reads the diary and the LLM settings and marks processing, only when there is work', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3), ($1, $4, $5)', [u, '2024-03-01', TEXT, '2024-03-02', 'short']);
      assert.equal(await startDailyJob(db, u, '2024-03-02', { minChars: 100, force: false }), undefined, 'too short');
      assert.equal(await status(db, u, '2024-03-02'), undefined, 'a day without work is not marked');
      assert.equal(await startDailyJob(db, u, '2024-02-01', { minChars: 100, force: false }), undefined, 'no diary');

      const job = await startDailyJob(db, u, '2024-03-01', { minChars: 100, force: false });
      assert.ok(job);
      assert.equal(job.input.content, TEXT);
      assert.equal(job.input.chars, 300);
      assert.equal(job.input.needsSummary, true);
      assert.deepEqual(job.llm, { provider: null, model: null, baseUrl: null, apiKeyEncrypted: null }, 'no settings row: the system defaults');
      assert.equal(await status(db, u, '2024-03-01'), 'processing');

      assert.equal(await saveDailyOutcome(db, u, '2024-03-01', job.input.version, { status: 'done', summary: 's', model: 'm', error: null }), true);
      assert.equal(await startDailyJob(db, u, '2024-03-01', { minChars: 100, force: false }), undefined, 'a current summary is not redone');
      assert.equal(await status(db, u, '2024-03-01'), 'done', 'and keeps its status');

      await db.query(`INSERT INTO user_llms (user_id, provider, model, base_url) VALUES ($1, 'openai', 'gpt-x', 'http://llm.example/v1')`, [u]);
      const forced = await startDailyJob(db, u, '2024-03-01', { minChars: 100, force: true });
      assert.deepEqual(forced?.llm, { provider: 'openai', model: 'gpt-x', baseUrl: 'http://llm.example/v1', apiKeyEncrypted: null });
      assert.equal(await status(db, u, '2024-03-01'), 'processing', 'a manual request redoes a current summary');
    });

    test("a job's own writes commit asynchronously; other writes keep synchronous commits", async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-04-01', TEXT]);
      const version = await db.transaction(async (tx) => {
        assert.equal(await syncCommit(tx), 'on');
        const job = await startDailyJob(tx, u, '2024-04-01', { minChars: 100, force: false });
        assert.equal(await syncCommit(tx), 'off', 'startDailyJob');
        return job?.input.version ?? -1;
      });
      await db.transaction(async (tx) => {
        assert.equal(await saveDailyOutcome(tx, u, '2024-04-01', version, { status: 'done', summary: 's', model: 'm', error: null }), true);
        assert.equal(await syncCommit(tx), 'off', 'saveDailyOutcome');
      });
      await db.transaction(async (tx) => {
        await setDailyStatus(tx, u, '2024-04-01', 'queued');
        assert.equal(await syncCommit(tx), 'on', 'a status set by the API stays synchronous');
      });
      assert.equal(await status(db, u, '2024-04-01'), 'queued', 'async commits are still commits');
    });

    test('outcomes saved in one turn share one statement, each checked against its own version', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      const dates = ['2024-06-01', '2024-06-02', '2024-06-03', '2024-06-04'];
      for (const d of dates) await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, d, TEXT]);
      const versions = await Promise.all(dates.map(async (d) => (await startDailyJob(db, u, d, { minChars: 100, force: false }))?.input.version ?? -1));
      // The third diary is edited while its summary is being made.
      await db.query(`UPDATE diaries SET content = content || '!' WHERE user_id = $1 AND date = '2024-06-03'`, [u]);
      let statements = 0;
      const counting: Queryable = {
        query: (sql, params, options) => {
          statements++;
          return db.query(sql, params, options);
        },
        exec: (sql) => db.exec(sql),
      };
      const done = (i: number) => ({ status: 'done' as const, summary: `summary ${i}`, model: 'm', error: null });
      const results = await Promise.all([
        ...dates.map((d, i) => saveDailyOutcome(counting, u, d, versions[i] ?? -1, done(i))),
        // The same day twice in one turn: a second round, as one statement cannot update a row twice.
        // A failure never replaces a done summary of the same version, so it is not stored.
        saveDailyOutcome(counting, u, '2024-06-01', versions[0] ?? -1, { status: 'retrying', error: 'later' }),
      ]);
      assert.deepEqual(results, [true, true, false, true, false]);
      assert.equal(statements, 2);
      const rows = await db.query<{ date: string; status: string; summary: string; error: string | null }>(
        'SELECT date::text AS date, status, summary, error FROM diary_summary_days WHERE user_id = $1 ORDER BY date',
        [u],
      );
      assert.deepEqual(
        rows.map((r) => [r.date, r.status, r.summary, r.error]),
        [
          ['2024-06-01', 'done', 'summary 0', null],
          ['2024-06-02', 'done', 'summary 1', null],
          ['2024-06-03', 'processing', '', null],
          ['2024-06-04', 'done', 'summary 3', null],
        ],
      );
    });

    test('a bad outcome fails its own save only, and a NUL in a summary is dropped rather than fatal', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      const dates = ['2024-07-01', '2024-07-02'];
      for (const d of dates) await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, d, TEXT]);
      const [v1, v2] = await Promise.all(dates.map(async (d) => (await startDailyJob(db, u, d, { minChars: 100, force: false }))?.input.version ?? -1));
      const done = (summary: string) => ({ status: 'done' as const, summary, model: 'm', error: null });
      // All three finish in one turn: the malformed key fails the shared statement, and the rows
      // are then tried one by one.
      const results = await Promise.allSettled([
        saveDailyOutcome(db, u, '2024-07-01', v1 ?? -1, done('before\u0000after')),
        saveDailyOutcome(db, 'not-a-uuid', '2024-07-02', 1, done('never')),
        saveDailyOutcome(db, u, '2024-07-02', v2 ?? -1, done('second')),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : 'error')), [true, 'error', true]);
      const rows = await db.query<{ summary: string }>('SELECT summary FROM diary_summary_days WHERE user_id = $1 ORDER BY date', [u]);
      assert.deepEqual(rows.map((r) => r.summary), ['beforeafter', 'second']);
    });

    test('the monthly input is one query, and marking a month that is gone finds nothing', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3), ($1, $4, $5)', [u, '2024-05-02', 'second', '2024-05-01', 'first']);
      const input = await readMonthlyInput(db, u, 2024, 5);
      assert.deepEqual(input?.entries.map((e) => [e.date, e.text]), [['2024-05-01', 'first'], ['2024-05-02', 'second']]);
      await db.query('DELETE FROM diaries WHERE user_id = $1', [u]);
      const empty = await readMonthlyInput(db, u, 2024, 5);
      assert.ok(empty, 'the month row outlives its diaries');
      assert.deepEqual(empty.entries, []);
      assert.equal(await markMonthlyProcessing(db, u, 2023, 1), undefined);
    });

    if (backend === 'postgres') {
      test('prepared statements are made once per connection and reused', async () => {
        const db = suite();
        await db.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) {
            const rows = await tx.query<{ n: number }>('SELECT $1::int + 1 AS n', [i], { prepared: true });
            assert.equal(rows[0]?.n, i + 1);
          }
          const named = await tx.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + 1%'`);
          assert.equal(named.length, 1);
          assert.match(named[0]?.name ?? '', /^de_[0-9a-f]{24}$/);
        });
      });
    }
  });
}
