// The ADR's flow with real processes — scheduler → Redis → subscriber → PostgreSQL — run for both
// transports. Pub/Sub-only and Streams-only behaviours are asserted where they differ.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { callsPerMarker, createWorld, startSubscriber, type TransportKind, type World } from './fixture.js';

// E2E_TRANSPORTS=pubsub (or streams) narrows a local run; CI runs both.
const TRANSPORTS = (process.env.E2E_TRANSPORTS ?? 'pubsub,streams').split(',') as TransportKind[];

for (const transport of TRANSPORTS) {
  describe(`pipeline over ${transport}`, () => {
    let w: World;
    before(async () => {
      w = await createWorld(transport);
    });
    after(async () => {
      await w.close();
    });

    test('a hand-published message becomes a summary row', async () => {
      const { userId, dates } = await w.seed(1);
      const sub = await startSubscriber(w);
      const published = await w.run(['publish', JSON.stringify({ type: 'daily_summary', user_id: userId, date: dates[0] })]);
      assert.equal(published.code, 0, published.stderr);
      await eventually(async () => (await w.doneCount(userId)) === 1, 20_000, 'summary row');
      const [row] = await w.summaries(userId);
      assert.equal(row?.status, 'done');
      assert.match(row?.summary ?? '', /^fake summary/);
      assert.equal(await sub.stop(), 0);
    });

    test('2,000 malformed or mutated messages do not stop the subscriber; the next valid one is processed', async () => {
      const { userId, dates } = await w.seed(1);
      const sub = await startSubscriber(w);
      const valid = { type: 'daily_summary', user_id: userId, date: dates[0] };
      const bad = [
        'not json', '', '[]', 'null', '42', '"str"', '{', '{"type":"daily_summary"}',
        JSON.stringify({ ...valid, type: 'weekly_summary' }),
        JSON.stringify({ ...valid, user_id: 'not-a-uuid' }),
        JSON.stringify({ ...valid, user_id: 12 }),
        JSON.stringify({ ...valid, date: '2024-02-30' }),
        JSON.stringify({ ...valid, date: '2024-13-01' }),
        JSON.stringify({ type: 'monthly_summary', user_id: userId, year: 2024, month: 13 }),
        JSON.stringify({ type: 'monthly_summary', user_id: userId, year: '2024', month: 1 }),
        JSON.stringify({ type: 'monthly_summary', user_id: userId, year: 99999, month: 1 }),
        JSON.stringify({ ...valid, pad: 'x'.repeat(70_000) }),
      ];
      for (let i = 0; i < 2000; i++) {
        const b = bad[i % bad.length] as string;
        // Mutate: flip one character of the bad message now and then.
        const mutated = i % 3 === 0 && b.length > 2 ? b.slice(0, i % b.length) + '\u0000' + b.slice((i % b.length) + 1) : b;
        await w.publishRaw(mutated);
      }
      await w.publishRaw(JSON.stringify({ ...valid, extra_field: { kept: true } }));
      await eventually(async () => (await w.doneCount(userId)) === 1, 30_000, 'valid message after 2,000 bad ones');
      const rejected = sub.logs.filter((l) => l.msg === 'malformed message dropped');
      assert.ok(rejected.length >= 1900, `rejections logged once each (${rejected.length})`);
      assert.ok(sub.proc.exitCode === null, 'still running');
      assert.equal(await sub.stop(), 0);
    });

    test('three subscribers with every job published three times: one LLM call per job, work shared', async () => {
      w.llm.reset();
      const jobs = await w.seed(24);
      const subs = await Promise.all([1, 2, 3].map(() => startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '2', USER_MAX_CONCURRENT_JOBS: '100', LOG_LEVEL: 'debug' })));
      w.llm.script(...Array.from({ length: 24 }, () => ({ type: 'ok' as const, latencyMs: 150 })));
      for (let copy = 0; copy < 3; copy++) {
        for (const date of jobs.dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: jobs.userId, date }));
      }
      await eventually(async () => (await w.doneCount(jobs.userId)) === 24, 30_000, 'all 24 done');
      await new Promise((r) => setTimeout(r, 500)); // late duplicates would show up now
      const perJob = callsPerMarker(w.llm);
      assert.equal(perJob.size, 24);
      for (const [marker, n] of perJob) assert.equal(n, 1, `${marker} called ${n} times`);
      // 'job finished' is a debug line (one line per job at info cost more than the claim).
      const doneBy = subs.map((s) => s.logs.filter((l) => l.msg === 'job finished' && l.outcome === 'done').length);
      assert.equal(doneBy.reduce((a, b) => a + b, 0), 24);
      assert.ok(doneBy.every((n) => n > 0), `every subscriber did some of the work: ${doneBy.join(', ')}`);
      for (const s of subs) assert.equal(await s.stop(), 0);
    });

    test('with no subscriber running the scheduler publishes into the void (pubsub) or the stream (streams), and it converges', async () => {
      const { userId } = await w.seed(3);
      const first = await w.run(['scheduler', '--once']);
      assert.equal(first.code, 0, first.stderr);
      const sub = await startSubscriber(w);
      if (transport === 'pubsub') {
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(await w.doneCount(userId), 0, 'Pub/Sub lost the messages published while nobody listened');
        const second = await w.run(['scheduler', '--once']);
        assert.equal(second.code, 0, second.stderr);
      }
      await eventually(async () => (await w.doneCount(userId)) === 3, 20_000, 'convergence');
      const third = await w.run(['scheduler', '--once']);
      assert.match(third.stdout, /"daily_summary":\{"found":0/, 'nothing left to do');
      assert.equal(await sub.stop(), 0);
    });

    test('two scheduler replicas tick once per interval between them', async () => {
      await w.seed(2);
      const env = { SCHEDULER_INTERVAL: '1s' };
      const a = w.spawn(['scheduler'], env);
      const b = w.spawn(['scheduler'], env);
      // Both running (a loaded machine can take seconds to start them), then a few slots.
      await Promise.all([a, b].map((p) => p.waitForLog((l) => l.msg === 'scheduler running')));
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(await a.stop(), 0);
      assert.equal(await b.stop(), 0);
      const ticks = [...a.logs, ...b.logs].filter((l) => l.msg === 'tick done');
      const slots = new Map<string, number>();
      for (const t of ticks) {
        // The slot a tick ran for is the one it started in (a tick may finish in the next).
        const key = `${String(t.job)}:${Math.floor(Date.parse(String(t.started_at)) / 1000)}`;
        slots.set(key, (slots.get(key) ?? 0) + 1);
      }
      assert.ok(ticks.length >= 4, `ticks happened (${ticks.length})`);
      for (const [slot, n] of slots) assert.equal(n, 1, `slot ${slot} ticked ${n} times`);
      assert.ok(a.logs.some((l) => l.msg === 'tick done') || b.logs.some((l) => l.msg === 'tick done'));
    });

    test('SIGTERM while jobs run: exit 0, nothing half-written, and the rest converges', async () => {
      const { userId } = await w.seed(6);
      w.llm.script(...Array.from({ length: 6 }, () => ({ type: 'ok' as const, latencyMs: 1500 })));
      const sub = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '3' });
      await w.run(['scheduler', '--once']);
      await eventually(async () => (await w.summaries(userId)).some((r) => r.status === 'processing'), 20_000, 'processing');
      assert.equal(await sub.stop('SIGTERM'), 0);
      const rows = await w.summaries(userId);
      for (const r of rows) {
        assert.ok(r.status !== 'done' || r.summary.startsWith('fake summary'), `no half-written row: ${JSON.stringify(r)}`);
      }
      const next = await startSubscriber(w);
      await w.run(['scheduler', '--once']);
      await eventually(async () => (await w.doneCount(userId)) === 6, 30_000, 'all six after restart');
      assert.equal(await next.stop(), 0);
    });

    test('a Redis restart under a running subscriber is survived', async () => {
      const { userId, dates } = await w.seed(2);
      const sub = await startSubscriber(w);
      await w.redis.stop();
      await new Promise((r) => setTimeout(r, 500));
      await w.redis.start();
      await sub.waitForLog((l) => l.msg === 'redis reconnected', 20_000);
      // Resubscribing (or the next XREADGROUP) follows the reconnection.
      await eventually(
        async () => {
          for (const date of dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date }));
          return (await w.doneCount(userId)) === 2;
        },
        20_000,
        'jobs after the restart',
      );
      assert.equal(await sub.stop(), 0);
    });
  });
}
