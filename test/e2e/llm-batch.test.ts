// LLM_BATCH=on with the real CLI: a scheduler (whose llm_batch job is the batch leader) and a
// subscriber process, the fake Batch API on loopback. Scheduled days wait in a provider batch and
// are stored from it; a failed line runs live; a diary edited while its batch waits gets the
// edit's summary, never the old text's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { callsPerMarker, createWorld, startSubscriber, type World } from './fixture.js';

const DAYS = 6;

describe('LLM_BATCH=on over pubsub, real processes', () => {
  let w: World;
  before(async () => {
    w = await createWorld('pubsub');
  });
  after(async () => {
    await w.close();
  });

  test('scheduled days go through the Batch API; a failed line runs live; an edit made while its batch waits is not overwritten', async () => {
    const { userId, dates } = await w.seed(DAYS);
    const env = { LLM_BATCH: 'on', LLM_BATCH_MAX_WAIT: '2s', SCHEDULER_INTERVAL: '1s', USER_MAX_JOBS_PER_HOUR: '100000' };
    // The first batch's first line fails (an error line): that day runs live.
    w.llm.batchPlan({ failLines: (_id, i) => i === 0 });
    const sub = await startSubscriber(w, env);
    const scheduler = w.spawn(['scheduler'], env);

    await eventually(async () => {
      const { rows } = await w.pool.query("SELECT 1 FROM diary_summary_days WHERE user_id = $1 AND status = 'batched'", [userId]);
      return rows.length === DAYS;
    }, 30_000, 'every day waiting in a batch');
    await eventually(async () => w.llm.batches.length >= 1, 30_000, 'a batch submitted');
    // Edited while its request waits inside the provider's batch (no diary_saved job: the
    // scheduler finds the new version once the batch's old answer is refused).
    const edited = dates[3] as string;
    await w.pool.query("UPDATE diaries SET content = 'EDITED-' || date::text || '. ' || repeat('A quiet day with letters and tea. ', 6) WHERE user_id = $1 AND date = $2", [userId, edited]);

    await eventually(async () => (await w.doneCount(userId)) === DAYS, 60_000, 'all days done');
    assert.equal(await scheduler.stop(), 0);
    assert.equal(await sub.stop(), 0);

    const first = w.llm.batches[0];
    assert.ok(first);
    const failedDay = /:(\d{4}-\d{2}-\d{2}):/.exec(first.customIds[0] as string)?.[1];
    const live = [...callsPerMarker(w.llm).keys()].map((m) => m.replace(/^JOB-\d+-/, ''));
    assert.deepEqual(live, [failedDay], 'the only live call is the failed line’s day');
    assert.ok(w.llm.batches.every((b) => b.status === 'completed'));

    const summaries = await w.summaries(userId);
    assert.ok(summaries.every((s) => s.status === 'done'));
    const { rows } = await w.pool.query<{ date: string; current: boolean }>(
      `SELECT s.date::text AS date, s.source_version = d.version AS current
         FROM diary_summary_days s JOIN diaries d USING (user_id, date) WHERE s.user_id = $1 ORDER BY s.date`,
      [userId],
    );
    assert.ok(rows.every((r) => r.current), 'every stored summary is of its diary’s present version');
    const editedRows = await w.pool.query<{ version: string; state: string }>(
      "SELECT version::text, state FROM llm_batch_requests WHERE user_id = $1 AND period = $2 ORDER BY version",
      [userId, edited],
    );
    assert.deepEqual(editedRows.rows.map((r) => r.version), ['1', '2'], 'the edit went through a batch of its own');
    assert.ok(scheduler.logs.some((l) => l.msg === 'batch resolved' && Number(l.superseded) >= 1), 'the old answer was refused');
  });
});
