// USER_MAX_JOBS_PER_HOUR: one LLM budget per user, whatever triggered the job. 30 SaveDiary calls
// with a budget of 5 make at most 5 LLM calls; the other jobs are acknowledged and their rows go
// back to `queued` (never `failed`), and the scheduler's later ticks finish them as the window
// moves on. The window runs on a clock of the test's own (a Redis-side sliding window).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildScheduler } from '../../src/cmd/scheduler.js';
import { startSubscriber, type SubscriberRole } from '../../src/cmd/subscriber.js';
import { createLogger } from '../../src/logger.js';
import { jobsProcessed } from '../../src/metrics.js';
import { DiaryService } from '../../src/gen/diary/v1/diaries_pb.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { eventually, startTestApi, type TestApi } from '../server/harness.js';

const BUDGET = 5;
const WINDOW_MS = 3_600_000;
const DATES = Array.from({ length: 30 }, (_, i) => `2024-03-${String(i + 1).padStart(2, '0')}`);
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

for (const transport of ['pubsub', 'streams'] as const) {
  describe(`over ${transport}`, () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    let llm: FakeLlm;
    let api: TestApi;
    let sub: SubscriberRole;
    before(async () => {
      llm = await startFakeLlm();
      api = await startTestApi({
        env: { LLM_PROVIDER: 'openai', LLM_BASE_URL: llm.url, LLM_MODEL: 'fake-model', USER_MAX_JOBS_PER_HOUR: String(BUDGET), QUEUE_TRANSPORT: transport },
        runtime: { jobBudget: { windowMs: WINDOW_MS, now: () => clock } },
      });
      sub = await startSubscriber(api.rt, logger);
    });
    after(async () => {
      await sub.stop(1000);
      await api.close();
      await llm.close();
    });

    async function processedSoFar(): Promise<number> {
      const { values } = await jobsProcessed.counter.get();
      return values.reduce((n, v) => n + v.value, 0);
    }

    async function statuses(userId: string): Promise<Record<string, number>> {
      const rows = await api.testDb.db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM diary_summary_days WHERE user_id = $1 GROUP BY status',
        [userId],
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    }

    test('30 saves with a budget of 5: 5 LLM calls, 25 queued (none failed), all done as the window moves on', async () => {
      const user = await api.newUser({ timezone: 'UTC' });
      const diaries = api.client(DiaryService, user.token);
      const start = await processedSoFar();
      for (const date of DATES) {
        const saved = await diaries.saveDiary({ date, content: `Diary of ${date}: a walk by the river, long enough to summarize.` });
        assert.equal(saved.summaryQueued, true, date);
      }
      await eventually(async () => ((await processedSoFar()) - start >= DATES.length ? true : undefined), 30_000, 'all 30 jobs to be processed');
      assert.equal(llm.calls, BUDGET);
      assert.deepEqual(await statuses(user.id), { done: BUDGET, queued: DATES.length - BUDGET });

      // Each later tick, an hour on, publishes the queued days again; the budget lets 5 more through.
      for (let round = 1; round < DATES.length / BUDGET; round++) {
        clock += WINDOW_MS + 1;
        const before = await processedSoFar();
        const results = await buildScheduler(api.rt, logger).runOnce();
        const published = results.results.daily_summary?.published ?? 0;
        assert.equal(published, DATES.length - round * BUDGET, `round ${round}`);
        await eventually(async () => ((await processedSoFar()) - before >= published ? true : undefined), 30_000, `round ${round}`);
        assert.equal(llm.calls, (round + 1) * BUDGET, `round ${round}: LLM calls`);
        const s = await statuses(user.id);
        assert.equal(s.done, (round + 1) * BUDGET);
        assert.equal(s.failed, undefined);
      }
      assert.deepEqual(await statuses(user.id), { done: DATES.length });
    });
  });
}

test('the budget is one window per user, shared by every process that takes from it (Redis)', async () => {
  const api = await startTestApi();
  try {
    let now = 1_000_000;
    const limits = api.rt.messaging.limits;
    const options = { limit: 2, windowMs: 10_000, now: () => now };
    const [one, two] = [limits.jobBudget(options), limits.jobBudget(options)]; // two subscribers
    assert.equal(await one.take('u1'), 0);
    assert.equal(await two.take('u1'), 0);
    assert.equal(await one.take('u1'), 10_000, 'the third job waits until the first leaves the window');
    assert.equal(await two.take('u2'), 0, 'another user has a budget of their own');
    now += 5_000;
    assert.equal(await two.take('u1'), 5_000);
    now += 5_000;
    assert.equal(await two.take('u1'), 0);
  } finally {
    await api.close();
  }
});
