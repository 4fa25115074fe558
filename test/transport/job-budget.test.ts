// USER_MAX_JOBS_PER_HOUR's takes in a real Redis (127.0.0.1:6379): the takes of one event-loop turn
// are one script call per slot group, and within it they count in order, so a turn never lets a
// user past the limit. The window runs on the test's clock (the script takes its `now`).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { keysFor, type KeysOptions } from '../../src/transport/keys.js';
import { createLimits, type JobBudget } from '../../src/transport/limits.js';
import { connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { scriptRunner, type ScriptRunner } from '../../src/transport/scripts.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = createLogger({ level: 'silent' });
const WINDOW_MS = 60_000;

describe('job budget (USER_MAX_JOBS_PER_HOUR) in Redis', () => {
  let client: RedisClient;
  const channels: string[] = [];
  before(async () => {
    client = await connectRedis({ url: REDIS_URL, role: 'test-budget', logger: quiet });
  });
  after(async () => {
    for (const ch of channels) {
      const keys = await client.keys(`${ch}:*`);
      if (keys.length > 0) await client.del(keys);
    }
    await client.close();
  });

  /** A budget of `limit` on a fresh channel, counting the script calls it makes. */
  function budget(limit: number, keysOptions: KeysOptions = {}): { jobs: JobBudget; calls: () => number; clock: { now: number } } {
    const channel = `test:budget:${randomUUID()}`;
    channels.push(channel);
    const real = scriptRunner(client);
    let calls = 0;
    const counting: ScriptRunner = {
      run: (script, keys, args) => {
        calls++;
        return real.run(script, keys, args);
      },
    };
    const clock = { now: 1_700_000_000_000 };
    const jobs = createLimits(counting, keysFor(channel, keysOptions)).jobBudget({ limit, windowMs: WINDOW_MS, now: () => clock.now });
    return { jobs, calls: () => calls, clock };
  }

  it('one turn of takes is one script call, counted in order per user', async () => {
    const { jobs, calls } = budget(3);
    const [alice, bob] = [randomUUID(), randomUUID()];
    const answers = await Promise.all([...Array.from({ length: 5 }, () => jobs.take(alice)), jobs.take(bob)]);
    assert.deepEqual(answers.slice(0, 3), [0, 0, 0], 'the first three of the turn fit');
    for (const wait of answers.slice(3, 5)) assert.ok(wait > 0 && wait <= WINDOW_MS, `over the limit: wait ${wait} ms`);
    assert.equal(answers[5], 0, "another user's take in the same turn is counted apart");
    assert.equal(calls(), 1, 'six takes, one call');
  });

  it('the window carries over turns and frees up as it moves on', async () => {
    const { jobs, clock } = budget(2);
    const user = randomUUID();
    assert.deepEqual(await Promise.all([jobs.take(user), jobs.take(user)]), [0, 0]);
    clock.now += 1000;
    assert.equal(await jobs.take(user), WINDOW_MS - 1000, 'the oldest leaves the window in 59 s');
    clock.now += WINDOW_MS;
    assert.equal(await jobs.take(user), 0, 'a window later there is room again');
  });

  it('partitioned keys: each user is its own slot group, so the turn sends one call per user', async () => {
    const { jobs, calls } = budget(1, { partitions: 4 });
    const users = [randomUUID(), randomUUID(), randomUUID()];
    const answers = await Promise.all(users.flatMap((u) => [jobs.take(u), jobs.take(u)]));
    assert.deepEqual(answers.map((w) => w > 0), [false, true, false, true, false, true]);
    assert.equal(calls(), 3);
  });
});
