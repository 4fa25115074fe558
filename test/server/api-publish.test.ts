// Publish on save, end to end: save → message on the channel (a real Redis) → an in-process
// subscriber → summary row → status DONE; today's entry waits; an edit makes a summary STALE;
// Redis down during a save → the save succeeds and the scheduler summarizes the day later.
// @date-sensitive: dates are days from today (harness.ts dayOffset); run on awkward days by scripts/run-tests.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { createClient as createRedisClient } from 'redis';
import { buildScheduler } from '../../src/cmd/scheduler.js';
import { startSubscriber, type SubscriberRole } from '../../src/cmd/subscriber.js';
import { DiaryService, SummaryStatus } from '../../src/gen/diary/v1/diaries_pb.js';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb.js';
import { SummaryService } from '../../src/gen/diary/v1/summaries_pb.js';
import { createLogger } from '../../src/logger.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { dayOffset, eventually, startTestApi, type TestApi } from './harness.js';

const logger = createLogger({ level: 'silent' });
const LONG = 'Today I walked along the river. The cherry trees were blooming and I met an old friend. ';

/** Every message on `channel`, as parsed JSON, from a separate connection (what a subscriber sees). */
async function listen(url: string, channel: string) {
  const client = createRedisClient({ url });
  await client.connect();
  const messages: Array<Record<string, unknown>> = [];
  await client.subscribe(channel, (raw) => messages.push(JSON.parse(raw) as Record<string, unknown>));
  return { messages, close: () => client.quit().then(() => undefined) };
}

describe('publish on save', () => {
  let api: TestApi;
  let sub: SubscriberRole;
  let tap: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    api = await startTestApi();
    tap = await listen(api.config.redis.url, api.config.channel);
    sub = await startSubscriber(api.rt, logger);
  });
  after(async () => {
    await sub.stop(1000);
    await tap.close();
    await api.close();
  });

  test('a past day: message on the channel → subscriber → summary DONE; an edit → STALE', async () => {
    const user = await api.newUser();
    const date = dayOffset(-1);
    const diaries = api.client(DiaryService, user.token);
    const summaries = api.client(SummaryService, user.token);

    const saved = await diaries.saveDiary({ date, content: LONG });
    assert.equal(saved.summaryQueued, true);
    assert.equal(saved.note, '');
    const message = await eventually(async () => tap.messages.find((m) => m.user_id === user.id && m.date === date), 5000, 'the job');
    assert.equal(message.type, 'daily_summary');
    assert.equal(message.trigger, 'diary_saved');

    const done = await eventually(async () => {
      const s = await summaries.getDailySummary({ date });
      return s.status === SummaryStatus.DONE ? s : undefined;
    }, 15_000, 'status DONE');
    assert.ok(done.summary.length > 0);
    assert.ok(done.model.length > 0);
    assert.ok(done.updatedAt);
    const [year, month] = [Number(date.slice(0, 4)), Number(date.slice(5, 7))];
    const listed = await diaries.listDiaries({ year, month });
    assert.equal(listed.days.find((d) => d.diary?.date === date)?.summaryStatus, SummaryStatus.DONE);

    // Saving the same text again changes nothing and publishes nothing.
    const count = tap.messages.length;
    const again = await diaries.saveDiary({ date, content: LONG });
    assert.equal(again.summaryQueued, false);
    assert.match(again.note, /already up to date/);

    // With automatic summaries off, an edit leaves the summary STALE (still showing the old text).
    await api.client(SettingsService, user.token).updateSettings({ autoSummaryDaily: false });
    const edited = await diaries.saveDiary({ date, content: `${LONG} And then it rained.` });
    assert.equal(edited.summaryQueued, false);
    assert.match(edited.note, /automatic daily summaries are off/);
    const stale = await summaries.getDailySummary({ date });
    assert.equal(stale.status, SummaryStatus.STALE);
    assert.equal(stale.summary, done.summary);
    assert.equal((await diaries.listDiaries({ year, month })).days[0]?.summaryStatus, SummaryStatus.STALE);
    assert.equal(tap.messages.length, count);

    // A manual request brings it back to DONE.
    const requested = await summaries.requestSummary({ target: { case: 'date', value: date } });
    assert.equal(requested.summary?.status, SummaryStatus.QUEUED);
    await eventually(async () => ((await summaries.getDailySummary({ date })).status === SummaryStatus.DONE ? true : undefined), 15_000, 'DONE again');
    assert.equal(tap.messages.at(-1)?.trigger, 'manual');
  });

  test("today's entry and a short one are saved without a job, and the note says why", async () => {
    const user = await api.newUser();
    const diaries = api.client(DiaryService, user.token);
    const count = tap.messages.length;
    const today = await diaries.saveDiary({ date: dayOffset(0), content: LONG });
    assert.equal(today.summaryQueued, false);
    assert.match(today.note, /today's entry is summarized after the day ends/);
    const short = await diaries.saveDiary({ date: dayOffset(-2), content: 'short' });
    assert.equal(short.summaryQueued, false);
    assert.match(short.note, /too short/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(tap.messages.length, count);
    assert.equal((await api.client(SummaryService, user.token).getDailySummary({ date: dayOffset(0) })).status, SummaryStatus.NONE);
  });

  test('RequestSummary: refused for today and this month, rate-limited per user, monthly works', async () => {
    const user = await api.newUser();
    const summaries = api.client(SummaryService, user.token);
    const refusal = async (value: { case: 'date' | 'month'; value: string }) => {
      const err = await summaries.requestSummary({ target: value }).catch((e: unknown) => ConnectError.from(e));
      assert.ok(err instanceof ConnectError);
      return err;
    };
    const today = await refusal({ case: 'date', value: dayOffset(0) });
    assert.equal(today.code, Code.FailedPrecondition);
    assert.match(today.rawMessage, /today's diary is summarized after the day ends/);
    const month = await refusal({ case: 'month', value: dayOffset(0).slice(0, 7) });
    assert.equal(month.code, Code.FailedPrecondition);
    assert.match(month.rawMessage, /has not ended/);
    assert.equal((await refusal({ case: 'month', value: '2024-13' })).code, Code.InvalidArgument);

    // A past month with a diary: queued, then summarized by the subscriber.
    const lastYear = `${Number(dayOffset(0).slice(0, 4)) - 1}-06`;
    await api.client(DiaryService, user.token).saveDiary({ date: `${lastYear}-15`, content: LONG });
    // The day's own job first: finishing it changes the month's inputs (a month summary made
    // meanwhile would be superseded and left for the scheduler).
    await eventually(async () => ((await summaries.getDailySummary({ date: `${lastYear}-15` })).status === SummaryStatus.DONE ? true : undefined), 15_000, 'daily DONE');
    const monthly = await summaries.requestSummary({ target: { case: 'month', value: lastYear } });
    assert.equal(monthly.summary?.status, SummaryStatus.QUEUED);
    const [y, m] = lastYear.split('-').map(Number) as [number, number];
    await eventually(async () => ((await summaries.getMonthlySummary({ year: y, month: m })).status === SummaryStatus.DONE ? true : undefined), 15_000, 'monthly DONE');

    // 10 a minute per user: the first request above was one of them.
    let exhausted: ConnectError | undefined;
    for (let i = 0; i < 12 && !exhausted; i++) {
      await summaries.requestSummary({ target: { case: 'month', value: lastYear } }).catch((e: unknown) => {
        exhausted = ConnectError.from(e);
      });
    }
    assert.equal(exhausted?.code, Code.ResourceExhausted);
    // Another user is not limited by this one.
    const other = await api.newUser();
    await api.client(DiaryService, other.token).saveDiary({ date: dayOffset(-1), content: LONG });
    await api.client(SummaryService, other.token).requestSummary({ target: { case: 'date', value: dayOffset(-1) } });
  });
});

describe('Redis down during a save', () => {
  let redis: RedisServer;
  let api: TestApi;
  before(async () => {
    redis = await startRedisServer();
    api = await startTestApi({ redisUrl: redis.url });
  });
  after(async () => {
    await api.close();
    await redis.destroy();
  });

  test('the save succeeds with a note, and the scheduler later gets the day summarized', async () => {
    const user = await api.newUser();
    const date = dayOffset(-3);
    await redis.stop();
    const started = Date.now();
    const saved = await api.client(DiaryService, user.token).saveDiary({ date, content: LONG });
    assert.ok(Date.now() - started < 5000, 'the save answered promptly');
    assert.equal(saved.summaryQueued, false);
    assert.match(saved.note, /scheduler will pick this day up/);
    assert.equal((await api.client(DiaryService, user.token).getDiary({ date })).diary?.content, LONG);

    await redis.start();
    await eventually(async () => (api.rt.messaging.isReady() ? true : undefined), 20_000, 'redis reconnect');
    const tap = await listen(redis.url, api.config.channel);
    const sub = await startSubscriber(api.rt, logger);
    try {
      await buildScheduler(api.rt, logger).runOnce();
      const message = await eventually(async () => tap.messages.find((m) => m.user_id === user.id && m.date === date), 5000, 'the scheduled job');
      assert.equal(message.type, 'daily_summary');
      await eventually(async () => {
        const s = await api.client(SummaryService, user.token).getDailySummary({ date });
        return s.status === SummaryStatus.DONE ? true : undefined;
      }, 15_000, 'status DONE');
    } finally {
      await sub.stop(1000);
      await tap.close();
    }
  });
});
