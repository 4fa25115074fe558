// The job statements write the markers themselves (migration 0015): the markers they leave are the
// ones the triggers derive (checked against the currency functions after random sequences of job
// writes, hand edits, settings changes and deletions), no marker trigger or currency function
// runs for them, and the jobs that start in one turn share one statement.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Db, Queryable } from '../../src/db/db.js';
import {
  markMonthlyProcessing,
  readDailyInput,
  readMonthlyInput,
  saveDailyOutcome,
  saveMonthlyOutcome,
  setDailyStatus,
  setMonthlyStatus,
  startDailyJob,
} from '../../src/db/summaries.js';
import { START_DAILY_JOBS } from '../../src/db/sql/start-daily-job.js';
import { BACKENDS, insertUser, suiteDb } from '../helpers/db.js';

const DAYS = ['2024-01-30', '2024-01-31', '2024-02-01'] as const;
const MIN_CHARS = 10;

type Op =
  | { kind: 'edit'; day: number; long: boolean }
  | { kind: 'delete'; day: number }
  | { kind: 'start'; day: number; force: boolean }
  | { kind: 'outcome'; day: number; status: 'done' | 'failed' | 'retrying'; stale: boolean }
  | { kind: 'hand'; day: number; status: 'done' | 'failed' | 'processing' }
  | { kind: 'settings' }
  | { kind: 'month'; month: 1 | 2; status: 'done' | 'failed' | 'retrying' }
  | { kind: 'monthStart'; month: 1 | 2 }
  | { kind: 'status'; day: number; status: 'queued' | 'processing' }
  | { kind: 'monthStatus'; month: 1 | 2; status: 'queued' | 'processing' }
  | { kind: 'monthHand'; month: 1 | 2; status: 'done' | 'processing' };

const day = fc.integer({ min: 0, max: DAYS.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), day, long: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), day }),
  fc.record({ kind: fc.constant('start' as const), day, force: fc.boolean() }),
  fc.record({ kind: fc.constant('start' as const), day, force: fc.boolean() }),
  fc.record({ kind: fc.constant('outcome' as const), day, status: fc.constantFrom('done' as const, 'failed' as const, 'retrying' as const), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('outcome' as const), day, status: fc.constantFrom('done' as const, 'failed' as const, 'retrying' as const), stale: fc.constant(false) }),
  fc.record({ kind: fc.constant('hand' as const), day, status: fc.constantFrom('done' as const, 'failed' as const, 'processing' as const) }),
  fc.record({ kind: fc.constant('settings' as const) }),
  fc.record({ kind: fc.constant('month' as const), month: fc.constantFrom(1 as const, 2 as const), status: fc.constantFrom('done' as const, 'failed' as const, 'retrying' as const) }),
  fc.record({ kind: fc.constant('monthStart' as const), month: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ kind: fc.constant('status' as const), day, status: fc.constantFrom('queued' as const, 'processing' as const) }),
  fc.record({ kind: fc.constant('monthStatus' as const), month: fc.constantFrom(1 as const, 2 as const), status: fc.constantFrom('queued' as const, 'processing' as const) }),
  fc.record({ kind: fc.constant('monthHand' as const), month: fc.constantFrom(1 as const, 2 as const), status: fc.constantFrom('done' as const, 'processing' as const) }),
);

async function apply(db: Db, u: string, o: Op, n: number): Promise<void> {
  switch (o.kind) {
    case 'edit':
      await db.query(
        `INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, date) DO UPDATE SET content = excluded.content`,
        [u, DAYS[o.day], `${o.long ? 'long enough ' : ''}${n}`],
      );
      return;
    case 'delete':
      await db.query('DELETE FROM diaries WHERE user_id = $1 AND date = $2', [u, DAYS[o.day]]);
      return;
    case 'start':
      await startDailyJob(db, u, DAYS[o.day] as string, { minChars: MIN_CHARS, force: o.force });
      return;
    case 'outcome': {
      const input = await readDailyInput(db, u, DAYS[o.day] as string);
      if (!input) return;
      await saveDailyOutcome(db, u, DAYS[o.day] as string, input.version - (o.stale ? 1 : 0), {
        status: o.status,
        summary: 's',
        model: 'm',
        error: o.status === 'done' ? null : 'e',
      });
      return;
    }
    case 'hand':
      // Another tool writes the summary row: the triggers keep the markers.
      await db.query(
        `INSERT INTO diary_summary_days (user_id, date, status, summary) SELECT user_id, date, $3, 'by hand' FROM diaries WHERE user_id = $1 AND date = $2
         ON CONFLICT (user_id, date) DO UPDATE SET status = excluded.status, updated_at = now()`,
        [u, DAYS[o.day], o.status],
      );
      return;
    case 'settings':
      await db.query(
        `INSERT INTO user_llms (user_id, model) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET model = excluded.model`,
        [u, `model-${n}`],
      );
      return;
    case 'month': {
      const input = await readMonthlyInput(db, u, 2024, o.month);
      if (!input) return;
      await saveMonthlyOutcome(db, u, 2024, o.month, input.version, { status: o.status, summary: 'm', model: 'm', error: o.status === 'done' ? null : 'e' });
      return;
    }
    case 'status':
      await setDailyStatus(db, u, DAYS[o.day] as string, o.status);
      return;
    case 'monthStatus':
      await setMonthlyStatus(db, u, 2024, o.month, o.status);
      return;
    case 'monthStart':
      await markMonthlyProcessing(db, u, 2024, o.month);
      return;
    case 'monthHand':
      await db.query(
        `INSERT INTO diary_summary_months (user_id, year, month, status, summary) SELECT user_id, year, month, $3, 'by hand' FROM diary_months WHERE user_id = $1 AND year = 2024 AND month = $2
         ON CONFLICT (user_id, year, month) DO UPDATE SET status = excluded.status, updated_at = now()`,
        [u, o.month, o.status],
      );
      return;
  }
}

/** Rows whose marker disagrees with the currency functions the triggers use. */
async function wrongMarkers(db: Queryable, u: string): Promise<string[]> {
  const days = await db.query<{ date: string; needs: boolean }>(
    `SELECT date::text, needs_daily_summary AS needs FROM diaries
      WHERE user_id = $1 AND needs_daily_summary = diary_daily_current(user_id, date, updated_at, version)`,
    [u],
  );
  const months = await db.query<{ month: number; needs: boolean }>(
    `SELECT month, needs_monthly_summary AS needs FROM diary_months
      WHERE user_id = $1 AND needs_monthly_summary = diary_monthly_current(user_id, year, month, inputs_updated_at, inputs_version)`,
    [u],
  );
  return [...days.map((d) => `day ${d.date} needs=${d.needs}`), ...months.map((m) => `month ${m.month} needs=${m.needs}`)];
}

for (const backend of BACKENDS) {
  describe(`direct markers on ${backend}`, () => {
    const suite = suiteDb(backend);

    test('after any sequence of job writes, hand edits, settings changes and deletions, every marker is the derived one', async () => {
      const db = suite();
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
          const u = await insertUser(db, 'UTC');
          for (const [i, o] of ops.entries()) {
            await apply(db, u, o, i);
            assert.deepEqual(await wrongMarkers(db, u), [], `after ${JSON.stringify(ops.slice(0, i + 1))}`);
          }
        }),
        { numRuns: backend === 'postgres' ? 60 : 30 },
      );
    });

    test('a done daily summary after a current monthly one makes the month stale; a redo of it too', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-01-30', 'long enough text']);
      const needs = async () =>
        (await db.query<{ needs: boolean }>('SELECT needs_monthly_summary AS needs FROM diary_months WHERE user_id = $1', [u]))[0]?.needs;
      const month = async () => {
        const input = await readMonthlyInput(db, u, 2024, 1);
        assert.ok(input);
        assert.equal(await saveMonthlyOutcome(db, u, 2024, 1, input.version, { status: 'done', summary: 'm', model: 'm', error: null }), true);
        assert.equal(await needs(), false, 'the month is current');
      };
      await month();
      const job = await startDailyJob(db, u, '2024-01-30', { minChars: MIN_CHARS, force: false });
      assert.ok(job);
      assert.equal(await needs(), false, "a first 'processing' mark changes no input of the month");
      assert.equal(await saveDailyOutcome(db, u, '2024-01-30', job.input.version, { status: 'done', summary: 's', model: 'm', error: null }), true);
      assert.equal(await needs(), true, 'the finished day is a new input of the month');
      await month();
      assert.ok(await startDailyJob(db, u, '2024-01-30', { minChars: MIN_CHARS, force: true }));
      assert.equal(await needs(), true, 'a redo takes the done day out of the month');
    });

    test('jobs that start in the same turn share one statement', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query(`INSERT INTO diaries (user_id, date, content) SELECT $1, d, 'long enough text' FROM unnest($2::date[]) d`, [u, DAYS]);
      const starts: number[] = [];
      const spy: Queryable = {
        query: (sql, params, options) => {
          if (sql === START_DAILY_JOBS) starts.push((params?.[0] as unknown[]).length);
          return db.query(sql, params, options);
        },
        exec: (sql) => db.exec(sql),
      };
      const jobs = await Promise.all([...DAYS, DAYS[0]].map((d) => startDailyJob(spy, u, d, { minChars: MIN_CHARS, force: false })));
      assert.deepEqual(starts, [3, 1], 'one statement for the three days; the repeated day in a round of its own');
      assert.deepEqual(jobs.map((j) => j?.input.content), ['long enough text', 'long enough text', 'long enough text', 'long enough text'], 'each job gets its own answer');
      const rows = await db.query<{ status: string }>('SELECT status FROM diary_summary_days WHERE user_id = $1', [u]);
      assert.deepEqual(rows.map((r) => r.status), ['processing', 'processing', 'processing']);
    });
  });
}

describe('direct markers on postgres: no marker trigger or currency function runs for a job', () => {
  const suite = suiteDb('postgres');
  test('start and outcome of a daily and a monthly job, and the status marks, call none of the marker functions', async () => {
    const db = suite();
    const u = await insertUser(db, 'UTC');
    await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-01-30', 'long enough text']);
    const calls = await db.transaction(async (tx) => {
      await tx.query("SET LOCAL track_functions = 'pl'");
      const job = await startDailyJob(tx, u, '2024-01-30', { minChars: MIN_CHARS, force: false });
      assert.ok(job);
      assert.equal(await saveDailyOutcome(tx, u, '2024-01-30', job.input.version, { status: 'done', summary: 's', model: 'm', error: null }), true);
      const month = await readMonthlyInput(tx, u, 2024, 1);
      assert.ok(month && (await markMonthlyProcessing(tx, u, 2024, 1)));
      assert.equal(await saveMonthlyOutcome(tx, u, 2024, 1, month.version, { status: 'done', summary: 'm', model: 'm', error: null }), true);
      // A user asks for both again, over their done summaries: the API's status marks.
      await setDailyStatus(tx, u, '2024-01-30', 'queued');
      await setMonthlyStatus(tx, u, 2024, 1, 'queued');
      return tx.query<{ name: string; calls: number }>(
        `SELECT p.proname AS name, coalesce(pg_stat_get_xact_function_calls(p.oid), 0)::int AS calls
           FROM pg_proc p
          WHERE p.proname IN ('diary_daily_current', 'diary_monthly_current', 'diary_month_touch', 'diary_summary_days_after_write',
                              'diary_summary_days_clear_announcement', 'diary_summary_months_after_write',
                              'diary_summary_months_clear_announcement', 'diaries_before_write', 'diaries_after_write')
          ORDER BY 1`,
      );
    });
    assert.deepEqual(calls.filter((c) => c.calls > 0), []);
    const [marker] = await db.query<{ day: boolean; month: boolean }>(
      `SELECT d.needs_daily_summary AS day, m.needs_monthly_summary AS month FROM diaries d JOIN diary_months m USING (user_id) WHERE d.user_id = $1`,
      [u],
    );
    assert.deepEqual(marker, { day: true, month: true }, 'the day and its month wait for their summaries again');
  });
});
