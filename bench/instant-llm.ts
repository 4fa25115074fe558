// Jobs per second of the real pipeline with an instant LLM (fake, 0 ms): N daily jobs published by
// `scheduler --once`, one real `subscriber` process, real PostgreSQL writes.
//   node --import tsx bench/instant-llm.ts [jobs=2000] [concurrency=50] [pubsub|streams]
import { eventually } from '../test/helpers/cli.js';
import { createWorld, startSubscriber, type TransportKind } from '../test/e2e/fixture.js';

const jobs = Number(process.argv[2] ?? 2000);
const concurrency = process.argv[3] ?? '50';
const transport = (process.argv[4] ?? 'pubsub') as TransportKind;
const w = await createWorld(transport, { llmLatencyMs: 0 });
try {
  // 20 users × jobs/20 days each.
  const users: string[] = [];
  for (let u = 0; u < 20; u++) users.push((await w.seed(Math.ceil(jobs / 20))).userId);
  const sub = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: concurrency });
  const t0 = performance.now();
  const tick = await w.run(['scheduler', '--once']);
  if (tick.code !== 0) throw new Error(tick.stderr);
  const total = users.length * Math.ceil(jobs / 20);
  await eventually(async () => (await w.doneCount()) === total, 300_000, 'all done');
  const s = (performance.now() - t0) / 1000;
  console.log(`${transport}: ${total} daily jobs, concurrency ${concurrency}, instant LLM: ${s.toFixed(2)} s = ${Math.round(total / s)} jobs/s (publish by scheduler --once included)`);
  await sub.stop();
} finally {
  await w.close();
}
