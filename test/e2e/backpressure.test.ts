// Pub/Sub backpressure: under a burst far beyond what the subscriber can do, it keeps draining the
// socket (Redis never cuts it off for its output buffer), sheds beyond its bounded backlog with a
// count, stays within bounded memory, and the scheduler's next ticks recover everything shed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { eventually } from '../helpers/cli.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

let w: World;
before(async () => {
  w = await createWorld('pubsub');
});
after(async () => {
  await w.close();
});

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('a 60,000-message burst: no disconnect, bounded backlog, shed jobs recovered by the scheduler', async () => {
  // A tight output-buffer limit (Redis's default is 32mb 8mb 60) so a subscriber that stopped
  // reading would be cut off within this test.
  const admin = await w.client();
  await admin.configSet('client-output-buffer-limit', 'pubsub 2mb 1mb 5');
  const { userId, dates } = await w.seed(200);
  w.llm.script(...Array.from({ length: 400 }, () => ({ type: 'ok' as const, latencyMs: 20 })));
  // 200 days of one user: beyond the defaults of USER_MAX_JOBS_PER_HOUR and USER_MAX_CONCURRENT_JOBS,
  // which are not what this test is about.
  const sub = await startSubscriber(w, { SUBSCRIBER_BACKLOG: '500', SUBSCRIBER_MAX_CONCURRENT_JOBS: '4', USER_MAX_JOBS_PER_HOUR: '100000', USER_MAX_CONCURRENT_JOBS: '1000' });
  const port = Number((await sub.waitForLog((l) => l.msg === 'metrics listening')).metrics_port);
  const publisher = createClient({ url: w.redis.url });
  await publisher.connect();
  const burst = 60_000;
  for (let i = 0; i < burst; i += 2000) {
    await Promise.all(
      Array.from({ length: 2000 }, (_, j) => {
        const date = dates[(i + j) % dates.length] as string;
        return publisher.publish(w.channel, JSON.stringify({ type: 'daily_summary', user_id: userId, date, pad: 'x'.repeat(200) }));
      }),
    );
  }
  await publisher.close();
  await eventually(async () => (await metric(port, 'diary_jobs_in_flight')) === 0 && (await metric(port, 'diary_messages_received_total{type="daily_summary"}')) > 0, 60_000, 'burst drained');
  const shed = await metric(port, 'diary_messages_shed_total');
  const rss = await metric(port, 'process_resident_memory_bytes');
  assert.ok(shed > 0, 'the bounded backlog shed part of the burst');
  assert.ok(rss < 400 * 1024 * 1024, `RSS stays bounded (${Math.round(rss / 1048576)} MiB)`);
  assert.ok(!sub.logs.some((l) => l.msg === 'redis connection lost; reconnecting'), 'never disconnected by Redis');
  const clients = await admin.clientList();
  assert.ok(clients.some((c) => Number(c.sub) > 0), 'subscriber still subscribed');
  // Whatever was shed is still a target: ticks converge.
  await eventually(
    async () => {
      await w.run(['scheduler', '--once']);
      return (await w.doneCount(userId)) === dates.length;
    },
    60_000,
    'all 200 days done after shedding',
  );
  assert.equal(await sub.stop(), 0);
});
