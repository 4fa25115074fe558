// LLM_BATCH=on against the fake Batch API on loopback and a real PostgreSQL: scheduled jobs are set
// aside (user-triggered ones stay live), gathered until full or LLM_BATCH_MAX_WAIT (a fake clock
// gives each tick its time), submitted as JSONL, polled through validating → in_progress →
// finalizing → completed, and stored through the version-checked saves; failed, expired and
// cancelled requests, and answers that cannot be trusted, run live; nothing is lost.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Db } from '../../src/db/db.js';
import { dailySource } from '../../src/db/announcements.js';
import type { UserLlmSettings } from '../../src/db/users.js';
import { dailyMessage, monthlyMessage, type JobMessage } from '../../src/messages.js';
import { LLM_BATCH_JOB, llmBatchJob, dueForBatch, batchPollInterval } from '../../src/scheduler/llm-batch-job.js';
import type { ScheduledJob, TickResult } from '../../src/scheduler/scheduled-job.js';
import { dispatch } from '../../src/subscriber/handlers/index.js';
import type { JobOutcome } from '../../src/subscriber/job-context.js';
import { BatchApi, BatchApiError } from '../../src/summarizer/batch-api.js';
import { clearSummarizerCache, resolveUserSummarizer, type SystemLlmOptions } from '../../src/summarizer/create-summarizer.js';
import { insertUser, suiteDb } from '../helpers/db.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';

const KEY = 'sk-batch-test-key';
const HOUR = 3_600_000;
const text = (n: number) => `Day ${n}: walked along the river, read a book and cooked dinner with friends. `.repeat(4);

describe('LLM_BATCH: the batch leader and the subscriber on PostgreSQL', () => {
  const suite = suiteDb('postgres');
  let llm: FakeLlm;
  let system: SystemLlmOptions;
  let log: CapturedLog;
  let clock: FakeClock;
  let job: ScheduledJob;

  before(async () => {
    llm = await startFakeLlm({ apiKey: KEY, latencyMs: 0 });
  });
  after(async () => {
    await llm.close();
  });
  beforeEach(async () => {
    llm.reset();
    clearSummarizerCache();
    log = captureLog('info');
    clock = new FakeClock(Date.now());
    system = { provider: 'openai', baseUrl: llm.url, apiKey: KEY, model: 'm1', maxRetries: 0, batch: true };
    job = llmBatchJob({
      intervalMs: batchPollInterval(HOUR),
      maxWaitMs: HOUR,
      maxRequests: 3,
      provider: new BatchApi({ baseUrl: llm.url, apiKey: KEY }),
      summarizerFor: (model) => resolveUserSummarizer(system, { provider: 'openai', model, baseUrl: null, apiKeyEncrypted: null }, null),
    });
    await suite().query('TRUNCATE llm_batch_requests, llm_batches, diaries, diary_months, diary_summary_days, diary_summary_months, job_attempts, llm_token_usage CASCADE');
  });

  const db = (): Db => suite();
  const run = (msg: JobMessage): Promise<JobOutcome> =>
    dispatch(msg, {
      db: db(),
      signal: new AbortController().signal,
      logger: log.logger,
      attempt: 1,
      minChars: 0,
      summarizerFor: (s: UserLlmSettings) => resolveUserSummarizer(system, s, null),
      attemptRecord: (errorClass) => ({ messageId: 'm', trigger: msg.trigger ?? null, subscriber: 'test', deliveryCount: 1, queuedMs: 0, runningMs: 1, errorClass }),
    });
  const tick = (): Promise<TickResult> => job.run({ db: db(), now: new Date(clock.now()), logger: log.logger, publish: () => Promise.resolve() });
  /** Ticks until no batch is submitted any more (each tick moves each fake batch one status on). */
  async function drain(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await tick();
      const [open] = await db().query<{ n: number }>("SELECT count(*)::int AS n FROM llm_batches WHERE state <> 'ended'");
      if (open?.n === 0) return;
    }
    assert.fail('batches still open after 10 ticks');
  }
  async function days(userId: string, n: number, from = 1): Promise<string[]> {
    const dates = Array.from({ length: n }, (_, i) => `2024-01-${String(from + i).padStart(2, '0')}`);
    for (const [i, d] of dates.entries()) await db().query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [userId, d, text(from + i)]);
    return dates;
  }
  async function summary(userId: string, date: string): Promise<{ status: string; summary: string | null; source_version: number } | undefined> {
    const [row] = await db().query<{ status: string; summary: string | null; source_version: number }>(
      'SELECT status, summary, source_version FROM diary_summary_days WHERE user_id = $1 AND date = $2',
      [userId, date],
    );
    return row;
  }
  async function requestStates(): Promise<Record<string, string>> {
    const rows = await db().query<{ period: string; state: string }>('SELECT period, state FROM llm_batch_requests ORDER BY period');
    return Object.fromEntries(rows.map((r) => [r.period, r.state]));
  }

  test('the gathering: a batch goes out when full or when its oldest request has waited LLM_BATCH_MAX_WAIT', async () => {
    assert.equal(dueForBatch({ waiting: 2, oldest: new Date(0) }, new Date(HOUR - 1), HOUR, 3), false);
    assert.equal(dueForBatch({ waiting: 2, oldest: new Date(0) }, new Date(HOUR), HOUR, 3), true);
    assert.equal(dueForBatch({ waiting: 3, oldest: new Date(0) }, new Date(0), HOUR, 3), true, 'full');
    assert.equal(batchPollInterval(HOUR), 60_000);
    assert.equal(batchPollInterval(2000), 1000);

    const u = await insertUser(db(), 'UTC');
    for (const d of await days(u, 2)) assert.equal(await run(dailyMessage(u, d, { trigger: 'schedule' })), 'batched');
    assert.equal((await summary(u, '2024-01-01'))?.status, 'batched', 'the API shows the summary waiting in a batch');
    await clock.advance(HOUR - 60_000);
    await tick();
    assert.equal(llm.batches.length, 0, 'two waiting for 59 minutes: not yet');
    // The requests were made a little after the clock's start (their times are the database's).
    await clock.advance(120_000);
    await tick();
    assert.equal(llm.batches.length, 1, 'the oldest has waited an hour');
    assert.equal(llm.batches[0]?.lines, 2);

    clock = new FakeClock(Date.now()); // the next requests are new to it
    for (const d of await days(u, 4, 10)) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    await tick();
    assert.deepEqual(llm.batches.map((b) => b.lines), [2, 3], 'three fill a batch at once; the fourth waits');
    assert.equal(llm.calls, 0, 'no live call');
    const [b] = await db().query<{ custom_id: string }>("SELECT custom_id FROM llm_batch_requests WHERE period = '2024-01-01'");
    assert.equal(b?.custom_id, `daily:${u}:2024-01-01:v1`, 'the custom_id names the job and its input version');
    assert.deepEqual(llm.batches[0]?.metadata, { diary_events_batch: (await db().query<{ id: string }>('SELECT min(id)::text AS id FROM llm_batches'))[0]?.id });
  });

  test('a completed batch moves validating → in_progress → finalizing → completed and stores every answer like a live one', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 3);
    for (const d of dates) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    await db().query("INSERT INTO diary_months (user_id, year, month) VALUES ($1, 2024, 1) ON CONFLICT DO NOTHING", [u]);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      await tick();
      const [row] = await db().query<{ provider_status: string }>('SELECT provider_status FROM llm_batches');
      seen.push(row?.provider_status ?? '');
    }
    assert.deepEqual(seen, ['in_progress', 'finalizing', 'completed', 'completed']);
    for (const d of dates) {
      const s = await summary(u, d);
      assert.equal(s?.status, 'done');
      assert.match(s?.summary ?? '', /^fake summary \(en, \d+ chars\): /);
    }
    assert.equal(llm.calls, 0, 'every summary came from the batch');
    assert.deepEqual(Object.values(await requestStates()), ['done', 'done', 'done']);
    const attempts = await db().query<{ subscriber: string; outcome: string }>('SELECT subscriber, outcome FROM job_attempts');
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((a) => a.subscriber.startsWith('batch:batch_') && a.outcome === 'done'), 'the history names the batch');
    const [usage] = await db().query<{ batch: boolean; calls: number; input_tokens: string }>('SELECT batch, calls::int, input_tokens::text FROM llm_token_usage');
    assert.equal(usage?.batch, true, 'tokens are counted at batch price');
    assert.equal(usage?.calls, 3);
    assert.ok(Number(usage?.input_tokens) > 0);

    // The month's job, scheduled, also waits in a batch, and is stored from it.
    assert.equal(await run(monthlyMessage(u, 2024, 1, { trigger: 'schedule' })), 'batched');
    await clock.advance(2 * HOUR);
    await drain();
    const [month] = await db().query<{ status: string; summary: string }>('SELECT status, summary FROM diary_summary_months WHERE user_id = $1', [u]);
    assert.equal(month?.status, 'done');
    assert.ok((month?.summary ?? '').length > 0);
    assert.equal(llm.calls, 0);
  });

  test('failed lines, an expired batch and a cancelled one: their requests run live, the rest are stored', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 9);
    llm.batchPlan({ failLines: (_id, i) => i < 2 }, { end: 'expired', answered: 1 }, { end: 'cancelled', answered: 1 });
    for (const d of dates) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    await drain();
    assert.deepEqual(llm.batches.map((b) => b.status), ['completed', 'expired', 'cancelled']);
    const states = await requestStates();
    // Batch 1 (days 1-3): lines 0 and 1 failed (an error object, an HTTP 500). Batch 2 (4-6) and 3 (7-9): the first answered.
    assert.deepEqual(states, {
      '2024-01-01': 'live', '2024-01-02': 'live', '2024-01-03': 'done',
      '2024-01-04': 'done', '2024-01-05': 'live', '2024-01-06': 'live',
      '2024-01-07': 'done', '2024-01-08': 'live', '2024-01-09': 'live',
    });
    const live = Object.entries(states).filter(([, s]) => s === 'live').map(([d]) => d);
    for (const d of live) assert.equal((await summary(u, d))?.status, 'queued', `${d} waits for the scheduler again`);
    const fresh = await dailySource(db(), { now: new Date('2024-02-01T00:00:00Z'), defaultTimezone: 'UTC', minChars: 0 }).fresh(100);
    assert.deepEqual(fresh.map((t) => t.date).sort(), live, 'released: the next tick publishes exactly those');
    // The scheduler's next job for one of them finds its request 'live' and calls the LLM itself.
    assert.equal(await run(dailyMessage(u, live[0] as string, { trigger: 'schedule' })), 'done');
    assert.equal(llm.calls, 1);
    assert.equal((await summary(u, live[0] as string))?.status, 'done');
  });

  test('bad output lines are rejected and logged, and lose nothing', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 3);
    llm.batchPlan({ corrupt: ['not-json', 'missing-id', 'duplicate', 'unknown-id'] });
    for (const d of dates) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    await drain();
    const rejected = log.find('batch result line rejected').map((l) => l.reason).sort();
    assert.deepEqual(rejected, ['duplicate_custom_id', 'no_custom_id', 'not_json', 'unknown_custom_id']);
    // The duplicated answer (the first line's) is not trusted: that day runs live; the others are stored.
    assert.deepEqual(await requestStates(), { '2024-01-01': 'live', '2024-01-02': 'done', '2024-01-03': 'done' });
    assert.equal((await summary(u, '2024-01-01'))?.status, 'queued');
    assert.equal((await db().query("SELECT 1 FROM diary_summary_days WHERE user_id = $1 AND status = 'done'", [u])).length, 2);
  });

  test('an edit made while its batch waits is never overwritten by the batch’s answer', async () => {
    const u = await insertUser(db(), 'UTC');
    const [d1, d2] = (await days(u, 2)) as [string, string];
    for (const d of [d1, d2]) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    // d1 is edited and its diary_saved job runs live before the batch ends; d2 is edited with no job yet.
    await db().query("UPDATE diaries SET content = 'Rewritten: a quiet day at home with tea and letters. ' || repeat('x', 50) WHERE user_id = $1", [u]);
    assert.equal(await run(dailyMessage(u, d1, { trigger: 'diary_saved' })), 'done', 'a user’s save runs live');
    assert.equal(llm.calls, 1);
    const live = await summary(u, d1);
    await clock.advance(2 * HOUR);
    await drain();
    assert.equal(llm.batches[0]?.lines, 2);
    assert.deepEqual(await summary(u, d1), live, 'the live summary of the edit stands');
    assert.match(live?.summary ?? '', /Rewritten/);
    const s2 = await summary(u, d2);
    assert.equal(s2?.status, 'queued', 'the old text’s answer is not stored; the new version waits for the scheduler');
    assert.equal(s2?.summary ?? '', '', 'no summary text was stored');
    assert.deepEqual(await requestStates(), { [d1]: 'done', [d2]: 'done' }, 'both answers were handled: superseded');
  });

  test('the scheduler leaves a target alone while its request waits, and only scheduled jobs wait', async () => {
    const u = await insertUser(db(), 'UTC');
    const [d1, d2] = (await days(u, 2)) as [string, string];
    const source = dailySource(db(), { now: new Date('2024-02-01T00:00:00Z'), defaultTimezone: 'UTC', minChars: 0 });
    await source.mark([{ target: { user_id: u, date: d1 }, again: new Date('2024-02-01T00:00:00Z') }], 'pubsub', new Date('2024-01-31T00:00:00Z'));
    assert.equal(await run(dailyMessage(u, d1, { trigger: 'schedule' })), 'batched');
    assert.deepEqual((await source.fresh(10)).map((t) => t.date), [d2]);
    assert.deepEqual(await source.overdue(10), [], 'not overdue: held until the batch ends');
    assert.deepEqual(await source.lost(10, 'pubsub', new Date('2024-02-01T00:00:00Z')), [], 'not among a transport’s lost ones');
    assert.equal(await run(dailyMessage(u, d1, { trigger: 'schedule' })), 'batched', 'a second delivery finds its request waiting');
    assert.equal((await db().query('SELECT 1 FROM llm_batch_requests')).length, 1);

    assert.equal(await run(dailyMessage(u, d2, { trigger: 'manual' })), 'done', 'a manual request runs live');
    assert.equal(llm.calls, 1);
    assert.equal((await db().query('SELECT 1 FROM llm_batch_requests')).length, 1);

    // A user on their own key is never batched.
    const own = await insertUser(db(), 'UTC');
    const [d3] = (await days(own, 1, 20)) as [string];
    await db().query(`INSERT INTO user_llms (user_id, provider, base_url) VALUES ($1, 'openai', $2)`, [own, 'http://127.0.0.1:9/v1']);
    system = { ...system, egress: undefined };
    const outcome = await run(dailyMessage(own, d3, { trigger: 'schedule' })).catch((err: unknown) => (err instanceof Error ? err.name : 'error'));
    assert.notEqual(outcome, 'batched');
    assert.equal((await db().query('SELECT 1 FROM llm_batch_requests WHERE user_id = $1', [own])).length, 0);
  });

  test('a submission the provider refuses gives its requests back; they go out with the next tick', async () => {
    const u = await insertUser(db(), 'UTC');
    await days(u, 3);
    for (const d of ['2024-01-01', '2024-01-02', '2024-01-03']) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    const broken = llmBatchJob({
      intervalMs: 1000, maxWaitMs: HOUR, maxRequests: 3,
      provider: new BatchApi({ baseUrl: llm.url, apiKey: 'sk-wrong-key-123456' }),
      summarizerFor: () => assert.fail('nothing to read'),
    });
    await broken.run({ db: db(), now: new Date(clock.now()), logger: log.logger, publish: () => Promise.resolve() });
    const warned = log.find('batch submission failed; its requests wait for the next tick');
    assert.equal(warned.length, 1);
    assert.doesNotMatch(JSON.stringify(warned), /sk-wrong-key-123456/, 'the key never reaches a log line');
    assert.deepEqual(Object.values(await requestStates()), ['waiting', 'waiting', 'waiting']);
    await drain();
    assert.deepEqual(Object.values(await requestStates()), ['done', 'done', 'done']);
    assert.equal(job.name, LLM_BATCH_JOB);

    // 30 days on, the resolved requests and their ended batches are pruned; nothing else is.
    await run(dailyMessage(u, '2024-01-01', { trigger: 'manual' }));
    await db().query("INSERT INTO diaries (user_id, date, content) VALUES ($1, '2024-01-20', $2)", [u, text(20)]);
    await run(dailyMessage(u, '2024-01-20', { trigger: 'schedule' }));
    await db().query("UPDATE llm_batch_requests SET resolved_at = now() - interval '31 days' WHERE state = 'done'");
    await db().query("UPDATE llm_batches SET ended_at = now() - interval '31 days' WHERE state = 'ended'");
    await tick();
    assert.deepEqual(await requestStates(), { '2024-01-20': 'waiting' });
    assert.equal((await db().query('SELECT 1 FROM llm_batches')).length, 1, 'a batch goes the tick after its last request');
    await tick();
    assert.equal((await db().query('SELECT 1 FROM llm_batches')).length, 0);
  });
  test('LLM_BATCH turned off: submitted batches are read to their end, waiting requests run live, and nothing is stranded', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 4);
    for (const d of dates) assert.equal(await run(dailyMessage(u, d, { trigger: 'schedule' })), 'batched');
    await tick();
    assert.deepEqual(llm.batches.map((b) => b.lines), [3], 'three fill a batch; the fourth waits');
    const off = llmBatchJob({
      intervalMs: 1000, maxWaitMs: HOUR, maxRequests: 3, drainOnly: true,
      provider: new BatchApi({ baseUrl: llm.url, apiKey: KEY }),
      summarizerFor: (model) => resolveUserSummarizer(system, { provider: 'openai', model, baseUrl: null, apiKeyEncrypted: null }, null),
    });
    const source = dailySource(db(), { now: new Date('2024-02-01T00:00:00Z'), defaultTimezone: 'UTC', minChars: 0 });
    for (let i = 0; i < 10 && (await db().query("SELECT 1 FROM llm_batches WHERE state <> 'ended'")).length > 0; i++) {
      await off.run({ db: db(), now: new Date(clock.now() + 2 * HOUR), logger: log.logger, publish: () => Promise.resolve() });
    }
    assert.equal(llm.batches.length, 1, 'no batch submitted with LLM_BATCH off, though the fourth has waited two hours');
    assert.deepEqual(await requestStates(), { [dates[0] as string]: 'done', [dates[1] as string]: 'done', [dates[2] as string]: 'done', [dates[3] as string]: 'live' });
    assert.equal((await summary(u, dates[0] as string))?.status, 'done', 'the batch’s answers are stored');
    assert.equal((await summary(u, dates[3] as string))?.status, 'queued', 'no longer shown waiting in a batch');
    assert.deepEqual((await source.fresh(10)).map((t) => t.date), [dates[3]], 'the scheduler publishes it again, as a live job');
    assert.equal(log.find('LLM_BATCH is off: requests set aside for a batch run live').length, 1);
    assert.equal(await run(dailyMessage(u, dates[3] as string, { trigger: 'schedule' })), 'done', 'its subscriber runs it live');
  });

  test('LLM_BATCH off with no endpoint left: a submitted batch cannot be read, so its requests run live', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 3);
    for (const d of dates) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    await tick();
    assert.equal(llm.batches.length, 1);
    const gone = llmBatchJob({ intervalMs: 1000, maxWaitMs: HOUR, drainOnly: true, summarizerFor: () => assert.fail('nothing to read') });
    await gone.run({ db: db(), now: new Date(clock.now()), logger: log.logger, publish: () => Promise.resolve() });
    assert.deepEqual(Object.values(await requestStates()), ['live', 'live', 'live']);
    assert.equal((await db().query("SELECT 1 FROM llm_batches WHERE state <> 'ended'")).length, 0);
    assert.deepEqual((await summary(u, dates[0] as string))?.status, 'queued');
  });
  test('a batch the provider refuses for good (400, no Batch API) runs live instead of being refused every tick; a bad key waits', async () => {
    const u = await insertUser(db(), 'UTC');
    const dates = await days(u, 3);
    for (const d of dates) await run(dailyMessage(u, d, { trigger: 'schedule' }));
    let uploads = 0;
    const refusing = (status: number) => llmBatchJob({
      intervalMs: 1000, maxWaitMs: HOUR, maxRequests: 3,
      provider: {
        uploadJsonl: () => {
          uploads++;
          return Promise.reject(new BatchApiError(`POST /files: HTTP ${status}: refused`, status));
        },
        createBatch: () => assert.fail('never reached'),
        getBatch: () => assert.fail('nothing submitted'),
        fileContent: () => assert.fail('nothing submitted'),
      },
      summarizerFor: () => assert.fail('nothing to read'),
    });
    const at = { db: db(), now: new Date(clock.now()), logger: log.logger, publish: () => Promise.resolve() };
    await refusing(401).run(at);
    assert.deepEqual(Object.values(await requestStates()), ['waiting', 'waiting', 'waiting'], 'a bad key: they wait for the operator’s fix');
    await refusing(400).run(at);
    assert.deepEqual(Object.values(await requestStates()), ['live', 'live', 'live']);
    assert.equal((await summary(u, dates[0] as string))?.status, 'queued', 'back to the scheduler');
    assert.equal(log.find('the provider refused the batch; its requests run live').length, 1);
    await refusing(400).run(at);
    assert.equal(uploads, 2, 'nothing is left to refuse');
    assert.equal(await run(dailyMessage(u, dates[0] as string, { trigger: 'schedule' })), 'done', 'the job runs live');
  });
});
