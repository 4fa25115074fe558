// CPU per job of the real subscriber path (Streams + job runner, no DB, no LLM), for profiling:
//   LVL=silent node --import tsx bench/profile-runner.ts 20000 [drain.cpuprofile | drain.heapprofile]
// With a file name, the drain alone (not the prefill) is profiled into it: CPU samples every
// 200 µs, or (a .heapprofile) allocations sampled every 1 KiB, collected objects included. Our code is the
// compiled dist/ (`npm run build` first), as in the transport scenario (bench/lib/compiled.ts).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { ourCode } from './lib/compiled.js';
import { chunks, dailyJobs, emptyDb } from './lib/common.js';
import { processCpuSeconds } from './lib/world.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
const {
  logging: { createLogger },
  jobRunner: { createJobRunner },
  claimStore: { createClaimStore },
  scripts: { scriptRunner },
  keys: { keysFor },
  connection: { connectRedis },
  streams: { createStreamsTransport },
} = await ourCode();
const N = Number(process.argv[2] ?? 20000);
if (!Number.isSafeInteger(N) || N < 1) throw new Error(`the job count must be a positive whole number, got ${JSON.stringify(process.argv[2])}`);
const logger = createLogger({ level: process.env.LVL ?? 'info' });
const redis = await startRedisServer();
const keys = keysFor('p');
const client = await connectRedis({ url: redis.url, role: 'main', logger });
const claims = createClaimStore({ scripts: scriptRunner(client), keys, leaseMs: 30000, logger });
const t = createStreamsTransport({ client, redisUrl: redis.url, keys, logger, consumerName: 'c1', leaseMs: 30000, maxDeliveries: 5 });
// Distinct (user, date) pairs, as in the transport scenario: every job takes its own claim.
for (const batch of chunks(dailyJobs(N), 1000)) await Promise.all(batch.map((m) => t.publish(m)));
const runner = createJobRunner({ db: emptyDb(), claims, logger, jobTimeoutMs: 600000, minChars: 1000, summarizerFor: () => { throw new Error('x'); } });
let done = 0; let fin!: () => void; const p = new Promise<void>((r) => (fin = r));
const profile = process.argv[3] ? await startProfile() : undefined;
// redis-server's CPU beside ours: while it works on a turn's commands this process mostly waits.
const redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
if (!Number.isSafeInteger(redisPid)) throw new Error('INFO server named no process_id');
const r0 = processCpuSeconds(redisPid);
const t0 = performance.now(); const c0 = process.cpuUsage();
const c = await t.consume(async (d, s) => { const r = await runner(d, s); if (++done === N) fin(); return r; }, { concurrency: 50, onReject() {} });
await p; const s = (performance.now() - t0) / 1000;
if (profile) writeFileSync(process.argv[3] as string, JSON.stringify(await profile()));
const cu = process.cpuUsage(c0); process.stderr.write(`drain ${N} in ${s.toFixed(2)}s = ${Math.round(N / s)}/s, cpu ${((cu.user + cu.system) / N).toFixed(1)} us/job, redis-server ${(((processCpuSeconds(redisPid) - r0) * 1e6) / N).toFixed(1)} us/job\n`);
await c.stop(1000); await claims.close(); await t.close(); await redis.destroy(); process.exit(0);

async function startProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  if (String(process.argv[3]).endsWith('.heapprofile')) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return async () => (await session.post('HeapProfiler.stopSampling')).profile;
  }
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => (await session.post('Profiler.stop')).profile;
}
