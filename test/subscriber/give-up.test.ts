// A job given up after MAX_DELIVERIES, on PostgreSQL and PGlite: dead-lettered → `failed` (the
// scheduler stops), not kept → `retrying` (the next tick brings it back), and never written over
// a summary another delivery of the same job finished meanwhile.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Queryable } from '../../src/db/db.js';
import { readDailyInput, readMonthlyInput, saveDailyOutcome, saveMonthlyOutcome } from '../../src/db/summaries.js';
import { dailyMessage, monthlyMessage } from '../../src/messages.js';
import { saveGiveUp } from '../../src/subscriber/give-up.js';
import { BACKENDS, insertUser, suiteDb } from '../helpers/db.js';

const TEXT = 'The river was high after the rain, and the heron stood still on the weir all morning. '.repeat(3);

async function row(db: Queryable, table: string, userId: string) {
  const [r] = await db.query<{ status: string; summary: string; error: string | null }>(
    `SELECT status, summary, error FROM ${table} WHERE user_id = $1`,
    [userId],
  );
  return r;
}

for (const backend of BACKENDS) {
  describe(`give-up on ${backend}`, () => {
    const suite = suiteDb(backend);

    test('dead-lettered: failed; not kept: retrying — both with the reason', async () => {
      const db = suite();
      for (const [deadLettered, status] of [[true, 'failed'], [false, 'retrying']] as const) {
        const u = await insertUser(db, 'UTC');
        await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-02-29', TEXT]);
        await saveGiveUp(db, dailyMessage(u, '2024-02-29'), 'LLM timeout after 5 attempts', 5, { deadLettered });
        const r = await row(db, 'diary_summary_days', u);
        assert.equal(r?.status, status);
        assert.match(r?.error ?? '', /gave up after 5 deliveries: LLM timeout/);
      }
    });

    test('a daily summary done by another delivery meanwhile stays done', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-03-01', TEXT]);
      const input = await readDailyInput(db, u, '2024-03-01');
      assert.ok(input);
      assert.equal(await saveDailyOutcome(db, u, '2024-03-01', input.version, { status: 'done', summary: 'A heron on the weir.', model: 'm', error: null }), true);
      await saveGiveUp(db, dailyMessage(u, '2024-03-01'), 'LLM 503 after 5 attempts', 5, { deadLettered: true });
      const r = await row(db, 'diary_summary_days', u);
      assert.deepEqual([r?.status, r?.summary, r?.error], ['done', 'A heron on the weir.', null]);
      const [d] = await db.query<{ needs: boolean }>('SELECT needs_daily_summary AS needs FROM diaries WHERE user_id = $1', [u]);
      assert.equal(d?.needs, false, 'the day is not a target again');
    });

    test('a monthly summary done meanwhile stays done; after an edit the give-up is recorded', async () => {
      const db = suite();
      const u = await insertUser(db, 'UTC');
      await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [u, '2024-02-10', TEXT]);
      const input = await readMonthlyInput(db, u, 2024, 2);
      assert.ok(input);
      await saveMonthlyOutcome(db, u, 2024, 2, input.version, { status: 'done', summary: 'February by the river.', model: 'm', error: null });
      await saveGiveUp(db, monthlyMessage(u, 2024, 2), 'LLM timeout', 5, { deadLettered: true });
      assert.equal((await row(db, 'diary_summary_months', u))?.status, 'done');
      // A new input version: the done summary is stale, so a give-up of the new version is recorded.
      await db.query("UPDATE diaries SET content = content || ' More rain.' WHERE user_id = $1", [u]);
      await saveGiveUp(db, monthlyMessage(u, 2024, 2), 'LLM timeout', 5, { deadLettered: true });
      const r = await row(db, 'diary_summary_months', u);
      assert.equal(r?.status, 'failed');
      assert.equal(r?.summary, 'February by the river.', 'the last good text is kept');
    });
  });
}
