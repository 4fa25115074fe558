// CPU per job of the real subscriber path (Streams + job runner, no DB, no LLM), for profiling:
//   LVL=silent node --import tsx bench/profile-runner.ts 20000 [drain.cpuprofile]
// With a file name, the drain alone (not the prefill) is profiled into it.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createLogger } from '../src/logger.js';
import { dailyMessage } from '../src/messages.js';
import { createJobRunner } from '../src/subscriber/job-runner.js';
import { createClaimStore } from '../src/transport/claim-store.js';
import { scriptRunner } from '../src/transport/scripts.js';
import { keysFor } from '../src/transport/keys.js';
import { connectRedis } from '../src/transport/redis-connection.js';
import { createStreamsTransport } from '../src/transport/streams/streams-transport.js';
import { emptyDb } from './lib/common.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
const N = Number(process.argv[2] ?? 20000);
const logger = createLogger({ level: process.env.LVL ?? 'info' });
const redis = await startRedisServer();
const keys = keysFor('p');
const client = await connectRedis({ url: redis.url, role: 'main', logger });
const claims = createClaimStore({ scripts: scriptRunner(client), keys, leaseMs: 30000, logger });
const t = createStreamsTransport({ client, redisUrl: redis.url, keys, logger, consumerName: 'c1', leaseMs: 30000, maxDeliveries: 5 });
for (let i = 0; i < N; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, j) => t.publish(dailyMessage('7c9e6679-7425-40de-944b-e07fc1f90ae7', `2024-01-${String(((i + j) % 28) + 1).padStart(2, '0')}`, { id: `x${i + j}` }))));
const runner = createJobRunner({ db: emptyDb(), claims, logger, jobTimeoutMs: 600000, minChars: 1000, summarizerFor: () => { throw new Error('x'); } });
let done = 0; let fin!: () => void; const p = new Promise<void>((r) => (fin = r));
const profile = process.argv[3] ? await startProfile() : undefined;
const t0 = performance.now(); const c0 = process.cpuUsage();
const c = await t.consume(async (d, s) => { const r = await runner(d, s); if (++done === N) fin(); return r; }, { concurrency: 50, onReject() {} });
await p; const s = (performance.now() - t0) / 1000;
if (profile) writeFileSync(process.argv[3] as string, JSON.stringify(await profile()));
const cu = process.cpuUsage(c0); process.stderr.write(`drain ${N} in ${s.toFixed(2)}s = ${Math.round(N / s)}/s, cpu ${((cu.user + cu.system) / N).toFixed(1)} us/job\n`);
await c.stop(1000); await claims.close(); await t.close(); await redis.destroy(); process.exit(0);

async function startProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => (await session.post('Profiler.stop')).profile;
}
