// The fleet hash on a real Redis: reports are read back whole, a report older than the TTL (a
// process that died) and one that is not ours are left out, a clean stop leaves at once; and the
// reporter's per-minute figure is the growth over the last minute (fake clock).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type RedisClientType } from 'redis';
import { fleetReporter } from '../../src/fleet-reporter.js';
import { createLogger } from '../../src/logger.js';
import { createFleet, fleetTotals, type Fleet, type FleetCounters, type ProcessReport } from '../../src/transport/fleet.js';
import { keysFor } from '../../src/transport/keys.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let client: RedisClientType;
before(async () => {
  redis = await startRedisServer();
  client = createClient({ url: redis.url }) as RedisClientType;
  await client.connect();
});
after(async () => {
  client.destroy();
  await redis.destroy();
});

const zero: FleetCounters = { processed: 0, failed: 0, rejected: 0, shed: 0 };
function report(instance: string, processed: number, inFlight = 0): ProcessReport {
  return {
    instance,
    role: 'subscriber',
    host: 'h',
    pid: 1,
    version: '1.0.0',
    concurrency: 4,
    inFlight,
    totals: { ...zero, processed, failed: 1 },
    perMinute: { ...zero, processed: 1 },
  };
}

test('live reports are summed; stale, foreign and departed ones are not', async () => {
  const keys = keysFor('fleet_test_a');
  const fleet = createFleet(scriptRunner(client as never), keys, 15_000);
  await fleet.report(report('a', 5, 2));
  await fleet.report(report('b', 7));
  await fleet.report(report('b', 8)); // a newer report replaces the older one
  // A process that stopped reporting long ago, and a field that is not a report.
  await client.hSet(keys.fleet, 'dead', `1 ${JSON.stringify(report('dead', 100))}`);
  await client.hSet(keys.fleet, 'junk', `${Date.now()} {not json`);
  const members = await fleet.members();
  assert.deepEqual(members.map((m) => m.instance), ['a', 'b']);
  assert.ok(members.every((m) => m.ageMs >= 0 && m.ageMs < 15_000 && !Number.isNaN(Date.parse(m.lastSeen))));
  assert.deepEqual(fleetTotals(members), { totals: { processed: 13, failed: 2, rejected: 0, shed: 0 }, perMinute: { ...zero, processed: 2 }, inFlight: 2 });
  assert.equal(Number(await client.hExists(keys.fleet, 'dead')), 0, 'the stale report is removed on the way');
  assert.ok((await client.pTTL(keys.fleet)) > 0, 'the hash expires when nobody reports');
  await fleet.leave('a');
  assert.deepEqual((await fleet.members()).map((m) => m.instance), ['b']);
});

test('the reporter reports at once, then every TTL/3, with the growth over the last minute', async () => {
  const clock = new FakeClock();
  const sent: ProcessReport[] = [];
  let left = '';
  const fleet: Fleet = {
    ttlMs: 15_000,
    report: async (r) => void sent.push(r),
    leave: async (i) => void (left = i),
    members: async () => [],
  };
  let processed = 0;
  const reporter = fleetReporter({
    fleet,
    instance: 'me',
    role: 'subscriber',
    concurrency: 3,
    logger: createLogger({ level: 'silent' }),
    clock,
    counters: async () => ({ ...zero, processed, inFlight: 1 }),
  });
  processed = 10; // jobs done before the first report count in its per-minute figure as 0
  await reporter.start();
  assert.equal(sent.length, 1);
  assert.deepEqual([sent[0]?.totals.processed, sent[0]?.perMinute.processed, sent[0]?.concurrency, sent[0]?.pid], [10, 0, 3, process.pid]);
  for (let i = 1; i <= 24; i++) {
    processed += 1; // one job per 5 s: 12 a minute
    await clock.advance(5000);
  }
  assert.equal(sent.length, 25);
  const last = sent.at(-1) as ProcessReport;
  assert.equal(last.totals.processed, 34);
  assert.equal(last.perMinute.processed, 12);
  await reporter.stop();
  assert.equal(left, 'me');
  await clock.advance(60_000);
  assert.equal(sent.length, 25, 'no report after stop');
});
