// Issue 21 with real processes: 400 due days, a subscriber that clears a few dozen a second and a
// 1 s scheduler interval. Before, every tick republished the whole remaining backlog (1,945 stream
// entries in 6 ticks for 400 targets); now each day is announced once: stream entries ≤ 1.1 × the
// targets, Pub/Sub publishes ≤ 2 ×, and everything is still done.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { createWorld, startSubscriber, type TransportKind, type World } from './fixture.js';

const TRANSPORTS = (process.env.E2E_TRANSPORTS ?? 'pubsub,streams').split(',') as TransportKind[];
const DAYS = 400;

for (const transport of TRANSPORTS) {
  describe(`announced once over ${transport}`, () => {
    let w: World;
    before(async () => {
      w = await createWorld(transport, { llmLatencyMs: 20 });
    });
    after(async () => {
      await w.close();
    });

    test(`${DAYS} due days, a slow subscriber, a 1 s interval: each day published about once, all done`, async (t) => {
      const { userId } = await w.seed(DAYS);
      const sub = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '1', USER_MAX_JOBS_PER_HOUR: '100000' });
      const scheduler = w.spawn(['scheduler'], { SCHEDULER_INTERVAL: '1s' });
      await eventually(async () => (await w.doneCount(userId)) === DAYS, 180_000, `all ${DAYS} done`);
      assert.equal(await scheduler.stop(), 0);
      assert.equal(await sub.stop(), 0);
      const ticks = scheduler.logs.filter((l) => l.msg === 'tick done' && l.job === 'daily_summary');
      const published = ticks.reduce((n, l) => n + Number(l.published ?? 0), 0);
      assert.ok(ticks.length >= 3, `several ticks ran while the backlog cleared (${ticks.length})`);
      if (transport === 'streams') {
        const c = await w.client();
        const info: unknown = await c.sendCommand(['XINFO', 'STREAM', `${w.channel}:stream`]);
        const added = Number(
          info instanceof Map ? info.get('entries-added')
            : Array.isArray(info) ? info[info.indexOf('entries-added') + 1]
              : (info as Record<string, unknown>)['entries-added'],
        );
        t.diagnostic(`stream entries added ${added}, published ${published} in ${ticks.length} ticks`);
        assert.ok(added <= 1.1 * DAYS, `stream entries ${added} for ${DAYS} targets (published ${published} in ${ticks.length} ticks)`);
        assert.ok(added >= DAYS);
      } else {
        t.diagnostic(`published ${published} in ${ticks.length} ticks`);
        assert.ok(published <= 2 * DAYS, `published ${published} for ${DAYS} targets in ${ticks.length} ticks`);
      }
      assert.ok(published >= DAYS, `every day was published (${published})`);
    });
  });
}
