// `publish` and `enqueue` refuse invalid jobs with exit 2 and one clear line, and publish nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { runCli } from './helpers/cli.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
let redis: RedisServer;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis.destroy();
});

test('bad jobs by hand: exit 2, the reason on one line, nothing on the channel; a good one is published', async () => {
  const channel = `cli_${randomBytes(3).toString('hex')}`;
  const env = { REDIS_URL: redis.url, DIARY_CHANNEL: channel };
  const sub = createClient({ url: redis.url });
  await sub.connect();
  const received: string[] = [];
  await sub.subscribe(channel, (m) => received.push(m));
  const bad: Array<[string[], RegExp]> = [
    [['publish', '{"type":"daily_summary"}'], /invalid message \(invalid_field\).*user_id/],
    [['publish', 'not json'], /not_json/],
    [['enqueue', 'monthly', '--user', USER, '--month', '0000-01'], /year/],
    [['enqueue', 'monthly', '--user', USER, '--month', '2024-13'], /month/],
    [['enqueue', 'daily', '--user', USER, '--date', '2024-02-30'], /--date/],
    [['enqueue', 'daily', '--user', 'nobody', '--date', '2024-02-01'], /--user/],
    [['enqueue', 'weekly', '--user', USER], /daily.*monthly/],
  ];
  for (const [args, reason] of bad) {
    const r = await runCli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  const good = await runCli(['enqueue', 'monthly', '--user', USER, '--month', '2024-01'], env);
  assert.equal(good.code, 0, good.stderr);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(received.length, 1, 'only the valid job reached the channel');
  assert.deepEqual(JSON.parse(received[0] as string), JSON.parse(good.stdout.trim()));
  await sub.close();
});
