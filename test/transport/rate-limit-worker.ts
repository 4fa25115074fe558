// Child process for rate-limiter.test.ts: its own Redis connection and limiter instance on a shared key.
// Usage: node --import tsx rate-limit-worker.ts <redisUrl> <key> <maxPerMinute> <burst> <count>
// Prints "ready", waits for a line on stdin, takes <count> tokens, prints a JSON array of Date.now() per token.
import { createInterface } from 'node:readline';
import { createLogger } from '../../src/logger.js';
import { connectRedis } from '../../src/transport/redis-connection.js';
import { createRedisRateLimiter } from '../../src/transport/rate-limiter.js';
import { scriptRunner } from '../../src/transport/scripts.js';

const [url, key, rpm, burst, count] = process.argv.slice(2);
const client = await connectRedis({ url: url as string, role: 'worker', logger: createLogger({ level: 'silent' }) });
const limiter = createRedisRateLimiter({ scripts: scriptRunner(client), key: key as string, perMinute: Number(rpm), burst: Number(burst) });
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => rl.once('line', () => resolve()));
rl.close();
const times: number[] = [];
const signal = new AbortController().signal;
for (let i = 0; i < Number(count); i++) {
  await limiter.acquire(signal);
  times.push(Date.now());
}
process.stdout.write(JSON.stringify(times) + '\n');
await client.close();
