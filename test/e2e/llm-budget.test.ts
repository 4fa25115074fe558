// Two real `diary-events subscriber` processes on one Redis and one fake LLM: a provider's
// rate-limit answer to one of them pauses both, and a job a user triggered is taken before the
// schedule backlog waiting beside it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, toWire } from '../../src/messages.js';
import { openMessaging } from '../../src/transport/open-messaging.js';
import { callsPerMarker, createWorld, startSubscriber, type TransportKind, type World } from './fixture.js';

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const transport of ['pubsub', 'streams'] as TransportKind[]) {
  describe(`LLM budget across subscribers (${transport})`, () => {
    let world: World;
    before(async () => {
      world = await createWorld(transport, { llmLatencyMs: 50 });
    });
    after(async () => {
      await world.close();
    });

    it("a 429 with remaining-tokens 0 and its reset pauses every subscriber's calls until the reset, longer than JOB_LEASE without a takeover", async () => {
      world.llm.reset();
      const { userId, dates } = await world.seed(8);
      const subs = await Promise.all([1, 2].map(() => startSubscriber(world, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '2', USER_MAX_CONCURRENT_JOBS: '10' })));
      world.llm.script({ type: 'rate-limit', headers: { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '5s' } });
      for (const date of dates) await world.publishRaw(toWire(dailyMessage(userId, date)));
      await until('all stored', async () => (await world.doneCount(userId)) === dates.length);
      const t429 = (world.llm.requests[0] as { at: number }).at;
      // Calls already on their way when the 429 came back may land just after it; after that,
      // nobody calls until the reset. A pause kept by one subscriber alone would let the other go on.
      const inPause = world.llm.requests.filter((r) => r.at > t429 + 300 && r.at < t429 + 4950);
      assert.deepEqual(inPause.map((r) => r.at - t429), [], 'calls inside the 5 s pause (ms after the 429)');
      assert.ok(world.llm.requests.some((r) => r.at >= t429 + 4950), 'calls resumed after the reset');
      // The waiting jobs kept their claims (and, streams, their leases: JOB_LEASE is 2 s here):
      // nobody else ran them, so one call per job, plus the one refused.
      const perJob = [...callsPerMarker(world.llm).values()];
      assert.equal(perJob.length, dates.length);
      assert.equal(perJob.reduce((x, y) => x + y, 0), dates.length + 1, 'no job was run twice');
      if (transport === 'streams') {
        const c = await world.client();
        assert.equal(await c.xLen(`${world.channel}:dead`), 0, 'nothing dead-lettered');
      }
      await Promise.all(subs.map((s) => s.stop()));
    });

    it('a diary_saved job is stored before the schedule backlog waiting beside it', async (t) => {
      world.llm.reset();
      const messaging = await openMessaging(loadConfig(world.env()), createLogger({ level: 'silent' }));
      t.after(() => messaging.close());
      const a = await world.seed(24);
      const b = await world.seed(1);
      // Publish the backlog first, then start the subscribers on it: it is all waiting when they look.
      const subs = await Promise.all([1, 2].map(() => startSubscriber(world, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '1', USER_MAX_CONCURRENT_JOBS: '2' })));
      // Slow answers for the backlog (24 × 400 ms over two subscribers), so it is still waiting when B's job comes.
      world.llm.script(...a.dates.map(() => ({ type: 'ok' as const, latencyMs: 400 })));
      for (const date of a.dates) await world.publishRaw(toWire(dailyMessage(a.userId, date)));
      await until('the backlog started', async () => (await world.doneCount(a.userId)) >= 1);
      // Through our transport, as the API publishes on save: it picks the urgent stream in streams mode.
      await messaging.transport.publish(dailyMessage(b.userId, b.dates[0] as string, { trigger: 'diary_saved' }));
      const before = await world.doneCount(a.userId);
      await until("B's summary stored", async () => (await world.doneCount(b.userId)) === 1);
      // The CLI takes a while to start; what matters is how many of the backlog overtook B's job
      // after it was published. The backlog is at most half done: B's job did not wait behind it.
      const aDone = await world.doneCount(a.userId);
      // At most the two running when it arrived (one per subscriber), plus one for timing slack.
      assert.ok(before < 20, `the backlog was nearly done (${before}) before B's job was published: too fast to tell`);
      assert.ok(aDone <= before + 3, `${aDone - before} of A's schedule jobs were stored after B's was published and before it`);
      await until('the backlog stored', async () => (await world.doneCount(a.userId)) === a.dates.length, 60_000);
      await Promise.all(subs.map((s) => s.stop()));
    });
  });
}
