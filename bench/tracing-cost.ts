// What traces cost on the subscriber's hot path (issue 18): the streams drain of no-op jobs through
// the real job runner (claim, dispatch, release: where the job and claim spans are), side by side
//   - before:  the same drain run on another checkout's src/ that has no spans (--before DIR,
//              e.g. a worktree of main before issue 18's traces), if given;
//   - unset:   this checkout, OTEL_EXPORTER_OTLP_ENDPOINT unset (the SDK is not loaded);
//   - exported: this checkout with the SDK on, exporting over OTLP/HTTP to a loopback sink.
// Each figure is a fresh child process with its own redis-server, modes interleaved per run, the
// median of the runs printed with its ratio to `unset`.
//
//   node --import tsx bench/tracing-cost.ts [--jobs 50000] [--runs 3] [--before /path/to/other/checkout] [--runner-only]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize } from './lib/figures.js';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50000' },
    runs: { type: 'string', default: '3' },
    before: { type: 'string' },
    child: { type: 'string' },
    // The job runner alone over an in-memory claim store, no Redis: the spans' CPU without the
    // round trips (and the noise of a shared machine's scheduling).
    'runner-only': { type: 'boolean', default: false },
  },
});
const RUNNER_ONLY = values['runner-only'] === true;
const JOBS = Number(values.jobs);
const CONCURRENCY = 50;

if (values.child !== undefined) {
  await child(values.child, JOBS);
} else {
  await parent();
}

/** One drain in this process, on the modules of checkout `root`; prints {"rate": jobs/s}. */
async function child(root: string, jobs: number): Promise<void> {
  const mod = <T>(path: string): Promise<T> => import(pathToFileURL(join(root, path)).href) as Promise<T>;
  type Src = typeof import('../src/subscriber/job-runner.js') & typeof import('../src/transport/claim-store.js');
  const { createJobRunner } = await mod<Pick<Src, 'createJobRunner'>>('src/subscriber/job-runner.ts');
  const { createClaimStore } = await mod<Pick<Src, 'createClaimStore'>>('src/transport/claim-store.ts');
  const { scriptRunner } = await mod<typeof import('../src/transport/scripts.js')>('src/transport/scripts.ts');
  const { keysFor } = await mod<typeof import('../src/transport/keys.js')>('src/transport/keys.ts');
  const { connectRedis } = await mod<typeof import('../src/transport/redis-connection.js')>('src/transport/redis-connection.ts');
  const { createStreamsTransport } = await mod<typeof import('../src/transport/streams/streams-transport.js')>('src/transport/streams/streams-transport.ts');
  const { createLogger } = await mod<typeof import('../src/logger.js')>('src/logger.ts');
  const { startRedisServer } = await import('../test/helpers/redis-server.js');
  const { dailyJobs, emptyDb } = await import('./lib/common.js');
  const logger = createLogger({ level: 'silent' });
  // The same no-op job runner in both modes: only its claims differ.
  const noopRunner = (claims: Parameters<typeof createJobRunner>[0]['claims']) =>
    createJobRunner({
      db: emptyDb(),
      claims,
      logger,
      jobTimeoutMs: 600_000,
      minChars: 1000,
      summarizerFor: () => {
        throw new Error('no-op bench: no summarizer');
      },
    });
  let tracing: { shutdown(): Promise<void> } | undefined;
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { startTracing } = await mod<typeof import('../src/tracing.js')>('src/tracing.ts');
    tracing = await startTracing({ serviceName: 'bench', version: '0', instance: 'bench', logger });
  }
  if (RUNNER_ONLY) {
    const claims = {
      acquire: async () => ({ ok: true as const, claim: { lost: false, onLost() {}, release: async () => {} } }),
      close: async () => {},
    };
    const runner = noopRunner(claims as unknown as Parameters<typeof createJobRunner>[0]['claims']);
    const deliveries = dailyJobs(jobs).map((message, i) => ({ message, id: String(i), deliveryCount: 1 }));
    const stop = new AbortController().signal;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < deliveries.length; i += CONCURRENCY) await Promise.all(deliveries.slice(i, i + CONCURRENCY).map((d) => runner(d, stop)));
    const cpu = process.cpuUsage(cpu0);
    const rate = jobs / ((performance.now() - t0) / 1000);
    await tracing?.shutdown();
    process.stdout.write(`${JSON.stringify({ rate, cpuUs: (cpu.user + cpu.system) / jobs })}\n`);
    process.exit(0);
  }
  const redis = await startRedisServer();
  try {
    const keys = keysFor('bench');
    const client = await connectRedis({ url: redis.url, role: 'main', logger });
    const claims = createClaimStore({ scripts: scriptRunner(client), keys, leaseMs: 30_000, logger });
    const transport = createStreamsTransport({ client, redisUrl: redis.url, keys, logger, consumerName: 'bench', leaseMs: 30_000, maxDeliveries: 5 });
    const runner = noopRunner(claims);
    const messages = dailyJobs(jobs);
    for (let i = 0; i < messages.length; i += 1000) await Promise.all(messages.slice(i, i + 1000).map((m) => transport.publish(m)));
    let handled = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const consumer = await transport.consume(
      async (d, signal) => {
        const s = await runner(d, signal);
        if (++handled === jobs) finish();
        return s;
      },
      { concurrency: CONCURRENCY, onReject: () => {} },
    );
    await finished;
    const rate = jobs / ((performance.now() - t0) / 1000);
    // CPU time of this process per job: on a busy machine far steadier than the wall-clock rate.
    const cpu = process.cpuUsage(cpu0);
    const cpuUs = (cpu.user + cpu.system) / jobs;
    await consumer.stop(5000);
    await claims.close();
    await transport.close();
    await tracing?.shutdown();
    process.stdout.write(`${JSON.stringify({ rate, cpuUs })}\n`);
  } finally {
    await redis.destroy();
  }
  process.exit(0);
}

async function parent(): Promise<void> {
  // The collector: takes every export and throws it away.
  let exports = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const modes: Array<{ name: string; root: string; env: Record<string, string> }> = [
    ...(values.before ? [{ name: 'before (no spans)', root: values.before, env: {} }] : []),
    { name: 'unset', root: HERE, env: {} },
    { name: 'exported', root: HERE, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } },
  ];
  const rates = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  const cpus = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  const runs = Number(values.runs);
  for (let run = 0; run < runs; run++) {
    for (const m of modes) {
      const { rate, cpuUs } = await runChild(m.root, m.env);
      rates.get(m.name)?.push(rate);
      cpus.get(m.name)?.push(cpuUs);
      console.error(`run ${run + 1}/${runs} ${m.name}: ${Math.round(rate)} jobs/s, ${cpuUs.toFixed(1)} µs CPU/job`);
    }
  }
  sink.close();
  const median = (xs: number[]) => summarize(xs).median;
  const unset = median(rates.get('unset') ?? []);
  const unsetCpu = median(cpus.get('unset') ?? []);
  console.log(
    RUNNER_ONLY
      ? `${JOBS} no-op jobs through the job runner alone (in-memory claims, no Redis), ${CONCURRENCY} at a time, median of ${runs} runs`
      : `streams drain of ${JOBS} no-op jobs through the job runner, concurrency ${CONCURRENCY}, median of ${runs} runs`,
  );
  console.log('| traces | jobs/s | ÷ unset | subscriber CPU µs/job | ÷ unset | runs (jobs/s; µs/job) |');
  console.log('|---|---|---|---|---|---|');
  for (const m of modes) {
    const xs = rates.get(m.name) ?? [];
    const cs = cpus.get(m.name) ?? [];
    console.log(
      `| ${m.name} | ${Math.round(median(xs)).toLocaleString('en-US')} | ${(median(xs) / unset).toFixed(2)} | ${median(cs).toFixed(1)} | ${(median(cs) / unsetCpu).toFixed(2)} | ${xs.map((x) => Math.round(x)).join(', ')}; ${cs.map((c) => c.toFixed(1)).join(', ')} |`,
    );
  }
  console.log(`(exports received by the sink: ${exports})`);
}

function runChild(root: string, env: Record<string, string>): Promise<{ rate: number; cpuUs: number }> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', root, '--jobs', String(JOBS), ...(RUNNER_ONLY ? ['--runner-only'] : [])];
    const p = spawn(process.execPath, args, {
      cwd: HERE,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as { rate: number; cpuUs: number });
      } catch (err) {
        reject(new Error(`bench child (${root}) failed: ${(err as Error).message}; output: ${out.slice(-500)}`));
      }
    });
  });
}
