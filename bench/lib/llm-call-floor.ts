// The floor under any worker's CPU per daily job in the cost scenario (issue 19): the same Chat
// Completions call as the BullMQ comparator makes, with no queue and no database, in a process of
// its own at the same concurrency. The bench reads this process's CPU from /proc around the calls.
//
//   node --import tsx bench/lib/llm-call-floor.ts   (env: LLM_URL, CONCURRENCY, JOBS, WARM)
// makes WARM untimed calls (default: one wave), prints "ready", makes JOBS calls once it reads "go" on stdin,
// prints "done" and exits.
import { createInterface } from 'node:readline';
import { Agent } from 'undici';
import { chatCall } from './chat-call.js';
import { envCount, requiredEnv } from './common.js';

const concurrency = envCount('CONCURRENCY');
const jobs = envCount('JOBS');
const url = `${requiredEnv('LLM_URL').replace(/\/+$/, '')}/chat/completions`;
const dispatcher = new Agent({ connections: concurrency });
const content = `Day 1. ${'Today I walked along the river and thought about the week. '.repeat(5)}`;

async function calls(n: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      await chatCall(url, dispatcher, content);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
}

await calls(envCount('WARM', concurrency));
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'go') continue;
  await calls(jobs);
  console.log('done');
  break;
}
await dispatcher.close();
