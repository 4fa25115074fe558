// The cost comparator of issue 19, in a process of its own: a BullMQ Worker that does for each
// daily job what a plain queue user would — the same Chat Completions call to the fake LLM, then
// one plain upsert of the summary row (a copy of diary_summary_days without our triggers, version
// checks or markers). Its CPU, with PostgreSQL's and Redis's, is set beside ours.
//
//   node --import tsx bench/lib/bullmq-llm-worker.ts   (env: REDIS_PORT, DATABASE_URL, LLM_URL, CONCURRENCY, QUEUE)
// prints "ready" once the worker runs; exits on SIGTERM.
import { Worker, type Job } from 'bullmq';
import pg from 'pg';
import { Agent } from 'undici';
import { chatCall } from './chat-call.js';
import { envCount, requiredEnv } from './common.js';

interface CostJob {
  user_id: string;
  date: string;
  content: string;
}

const concurrency = envCount('CONCURRENCY');
const url = `${requiredEnv('LLM_URL').replace(/\/+$/, '')}/chat/completions`;
// As many connections as jobs at once, like our subscriber's dispatcher; the pool as large as ours.
const dispatcher = new Agent({ connections: concurrency });
const pool = new pg.Pool({ connectionString: requiredEnv('DATABASE_URL'), max: Math.min(25, Math.max(10, concurrency)) });
pool.on('error', () => {});

async function processJob(job: Job<CostJob>): Promise<void> {
  const { user_id, date, content } = job.data;
  const answer = await chatCall(url, dispatcher, content);
  await pool.query(
    `INSERT INTO bench_plain_summary_days (user_id, date, summary, model, status, input_tokens, output_tokens)
     VALUES ($1, $2, $3, 'fake-model', 'done', $4, $5)
     ON CONFLICT (user_id, date) DO UPDATE
       SET summary = EXCLUDED.summary, model = EXCLUDED.model, status = EXCLUDED.status,
           input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens, updated_at = now()`,
    [user_id, date, answer.summary, answer.inputTokens, answer.outputTokens],
  );
}

const worker = new Worker<CostJob>(requiredEnv('QUEUE'), processJob, {
  connection: { host: '127.0.0.1', port: envCount('REDIS_PORT'), maxRetriesPerRequest: null },
  concurrency,
  autorun: false,
});
worker.on('error', (err) => console.error(`worker error: ${err.message}`));
worker.on('failed', (job, err) => console.error(`job ${job?.id} failed: ${err.message}`));
void worker.run();
await worker.waitUntilReady();
console.log('ready');

process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await pool.end();
    await dispatcher.close();
    process.exit(0);
  })();
});
