// Job history on PostgreSQL and PGlite: the outcome statements record one attempt row beside the
// outcome (superseded when nothing was stored), the list and a job's attempts read them back with
// their filters, and the prune removes only what is older than the retention, in batches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Queryable } from '../../src/db/db.js';
import { jobAttempts, listJobs, pruneJobHistory, type AttemptRecord } from '../../src/db/job-history.js';
import { saveDailyOutcome, saveMonthlyOutcome } from '../../src/db/summaries.js';
import { BACKENDS, insertUser, suiteDb } from '../helpers/db.js';

const TEXT = 'x'.repeat(300);

function attempt(o: Partial<AttemptRecord> = {}): AttemptRecord {
  return { messageId: 'm-1', trigger: 'schedule', subscriber: 'sub-a', deliveryCount: 1, queuedMs: 40, runningMs: 1200, errorClass: null, ...o };
}

async function count(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM job_attempts');
  return (row as { n: number }).n;
}

async function diary(db: Queryable, u: string, date: string): Promise<number> {
  const [row] = await db.query<{ version: number }>('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3) RETURNING version::int AS version', [u, date, TEXT]);
  return (row as { version: number }).version;
}

for (const backend of BACKENDS) {
  describe(`job history on ${backend}`, () => {
    const suite = suiteDb(backend);

    test('an outcome stored with its attempt records exactly one row; without one, none', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      const v = await diary(db, u, '2024-03-01');
      assert.equal(await saveDailyOutcome(db, u, '2024-03-01', v, { status: 'retrying', error: 'LLM timeout', attempt: attempt({ errorClass: 'timeout' }) }), true);
      assert.equal(
        await saveDailyOutcome(db, u, '2024-03-01', v, {
          status: 'done', summary: 's', model: 'm', error: null, inputTokens: 120, outputTokens: 30,
          attempt: attempt({ deliveryCount: 2, subscriber: 'sub-b', runningMs: 800.6 }),
        }),
        true,
      );
      assert.equal(await saveDailyOutcome(db, u, '2024-03-01', v, { status: 'failed', error: 'given up' }), false, 'a give-up never replaces done');
      assert.equal(await count(db), 2, 'the give-up (no attempt) records none');
      const rows = await jobAttempts(db, u, 'daily', '2024-03-01');
      assert.deepEqual(
        rows.map((r) => [r.outcome, r.error_class, r.delivery_count, r.subscriber, r.trigger, r.queued_ms, r.running_ms, r.input_tokens, r.output_tokens]),
        [
          ['retrying', 'timeout', 1, 'sub-a', 'schedule', 40, 1200, null, null],
          ['done', null, 2, 'sub-b', 'schedule', 40, 801, 120, 30],
        ],
      );
      assert.equal(rows[0]?.error, 'LLM timeout');
      assert.ok(rows[0]?.finished_at instanceof Date);
    });

    test('an outcome not stored (the diary changed meanwhile) is recorded as superseded', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      const v = await diary(db, u, '2024-03-02');
      await db.query('UPDATE diaries SET content = $3 WHERE user_id = $1 AND date = $2', [u, '2024-03-02', `${TEXT} edited`]);
      assert.equal(await saveDailyOutcome(db, u, '2024-03-02', v, { status: 'done', summary: 's', model: 'm', error: null, attempt: attempt() }), false);
      assert.deepEqual((await jobAttempts(db, u, 'daily', '2024-03-02')).map((r) => r.outcome), ['superseded']);
    });

    test('monthly attempts name their month; the list filters by outcome, kind and user', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      const other = await insertUser(db, 'UTC');
      await diary(db, u, '2024-02-10');
      await diary(db, other, '2024-02-11');
      const [m] = await db.query<{ v: number }>('SELECT inputs_version::int AS v FROM diary_months WHERE user_id = $1', [u]);
      assert.equal(await saveMonthlyOutcome(db, u, 2024, 2, (m as { v: number }).v, { status: 'failed', error: 'LLM auth: HTTP 401', attempt: attempt({ errorClass: 'auth' }) }), true);
      const v = (await db.query<{ version: number }>('SELECT version::int AS version FROM diaries WHERE user_id = $1', [other]))[0]?.version ?? 0;
      await saveDailyOutcome(db, other, '2024-02-11', v, { status: 'done', summary: 's', model: 'm', error: null, attempt: attempt() });

      const all = await listJobs(db, { limit: 50 });
      const mine = all.filter((j) => j.user_id === u || j.user_id === other);
      assert.deepEqual(mine.map((j) => [j.kind, j.period, j.outcome]).sort(), [['daily', '2024-02-11', 'done'], ['monthly', '2024-02', 'failed']]);
      const failed = await listJobs(db, { outcome: 'failed', userId: u, limit: 50 });
      assert.deepEqual(failed.map((j) => [j.kind, j.period, j.error_class, j.attempts]), [['monthly', '2024-02', 'auth', 1]]);
      assert.ok(failed[0]?.email.includes('@') || failed[0]?.email === '');
      assert.deepEqual((await listJobs(db, { kind: 'daily', userId: u, limit: 50 })).length, 0);
      assert.deepEqual((await listJobs(db, { kind: 'daily', userId: other, limit: 50 })).map((j) => j.period), ['2024-02-11']);
      assert.equal((await jobAttempts(db, u, 'monthly', '2024-02'))[0]?.error, 'LLM auth: HTTP 401');
    });

    test('the prune removes attempts older than the retention, in batches, and keeps the rest', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query(
        `INSERT INTO job_attempts (kind, user_id, period, delivery_count, running_ms, outcome, finished_at)
         SELECT 'daily', $1, '2024-01-01', 1, 5, 'done', now() - make_interval(days => 20) FROM generate_series(1, 25)`,
        [u],
      );
      await db.query(
        `INSERT INTO job_attempts (kind, user_id, period, delivery_count, running_ms, outcome, finished_at)
         SELECT 'daily', $1, '2024-01-02', 1, 5, 'done', now() - make_interval(days => 2) FROM generate_series(1, 3)`,
        [u],
      );
      const before = await count(db);
      assert.equal(await pruneJobHistory(db, 14 * 86_400_000, 10, 2), 20, 'two batches of 10 this round');
      assert.equal(await pruneJobHistory(db, 14 * 86_400_000, 10, 2), 5, 'the rest next round');
      assert.equal(await pruneJobHistory(db, 14 * 86_400_000, 10, 2), 0);
      assert.equal(await count(db), before - 25);
      assert.equal((await jobAttempts(db, u, 'daily', '2024-01-02')).length, 3);
    });

    test('a deleted user’s attempts go with them', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query(`INSERT INTO job_attempts (kind, user_id, period, delivery_count, running_ms, outcome) VALUES ('daily', $1, '2024-03-05', 1, 5, 'done')`, [u]);
      assert.equal((await jobAttempts(db, u, 'daily', '2024-03-05')).length, 1);
      await db.query('DELETE FROM users WHERE id = $1', [u]);
      assert.equal((await jobAttempts(db, u, 'daily', '2024-03-05')).length, 0);
    });
  });
}
