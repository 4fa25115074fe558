// Issue 8 item 1: 100,000 no-op jobs through our subscriber code path (validation in the transport,
// claim, dispatch, release), beside BullMQ and bee-queue on the same Redis, and beside the raw
// client limit. Every figure gets a fresh private redis-server. Ours is the compiled dist/
// (bench/lib/compiled.ts), and every step is run once untimed before the timed runs.
import { spawn } from 'node:child_process';
import BeeQueue from 'bee-queue';
import { Queue, Worker } from 'bullmq';
import { createClient } from 'redis';
import { toWire, type JobMessage } from '../../src/messages.js';
import { closeRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import type { DeliveryHandler, Transport } from '../../src/transport/transport.js';
import { FakeClaimScripts } from '../../test/helpers/fake-claim-scripts.js';
import { startRedisServer, type RedisServer } from '../../test/helpers/redis-server.js';
import { chunks, dailyJobs, emptyDb, rotate, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import { ourCode, type OurCode } from '../lib/compiled.js';
import { FigureBook, type FigureSpec } from '../lib/figures.js';

const BATCH = 1000;
const CONCURRENCY = 50;
const NODE_REDIS = 'node-redis 6.3';

export const F = {
  benchPublishP1: spec('raw.benchmark.publish', 'PUBLISH, redis-benchmark (server limit)', 'redis-benchmark, 50 connections, unpipelined', 'msgs/s'),
  benchPublishP64: spec('raw.benchmark.publish-p64', 'PUBLISH, redis-benchmark (server limit)', 'redis-benchmark, 50 connections, -P 64', 'msgs/s'),
  benchXaddP1: spec('raw.benchmark.xadd', 'XADD, redis-benchmark (server limit)', 'redis-benchmark, 50 connections, unpipelined', 'msgs/s'),
  benchXaddP64: spec('raw.benchmark.xadd-p64', 'XADD, redis-benchmark (server limit)', 'redis-benchmark, 50 connections, -P 64', 'msgs/s'),
  rawPublish: spec('raw.node.publish', 'PUBLISH from Node, no subscriber', `${NODE_REDIS}, 1 connection, unpipelined (await each; 1/5 of the jobs)`, 'msgs/s'),
  rawPublishPipe: spec('raw.node.publish-pipelined', 'PUBLISH from Node, no subscriber', `${NODE_REDIS}, 1 connection, pipelined (Promise.all of ${BATCH})`, 'msgs/s'),
  rawXadd: spec('raw.node.xadd', 'XADD from Node', `${NODE_REDIS}, 1 connection, unpipelined (await each; 1/5 of the jobs)`, 'msgs/s'),
  rawXaddPipe: spec('raw.node.xadd-pipelined', 'XADD from Node', `${NODE_REDIS}, 1 connection, pipelined (Promise.all of ${BATCH})`, 'msgs/s'),
  rawDrain: spec('raw.node.xreadgroup-drain', 'raw XREADGROUP COUNT 100 + one XACK per batch, drain', `${NODE_REDIS}, 1 consumer, 1 connection, unpipelined`, 'jobs/s'),
  pubsubPublish: spec('ours.pubsub.publish', 'ours, Pub/Sub: publish (while consuming)', `transport.publish, ${NODE_REDIS}, pipelined (Promise.all of ${BATCH})`, 'msgs/s'),
  pubsubE2e: spec('ours.pubsub.concurrent', 'ours, Pub/Sub: publish+consume 100k no-op jobs', `${NODE_REDIS}; subscriber concurrency ${CONCURRENCY}; claims taken and released in one Lua call per event-loop turn`, 'jobs/s'),
  streamsPublish: spec('ours.streams.publish', 'ours, Streams: publish (prefill)', `transport.publish (XADD), ${NODE_REDIS}, pipelined (Promise.all of ${BATCH})`, 'msgs/s'),
  streamsDrain: spec('ours.streams.drain', 'ours, Streams: drain a prefilled stream of no-op jobs', `${NODE_REDIS}; concurrency ${CONCURRENCY}, XREADGROUP of free slots; claims (one Lua call) and XACKs (one command) batched per event-loop turn`, 'jobs/s'),
  streamsDrainMemClaims: spec('ablation.streams.drain-memory-claims', 'ablation — ours, Streams drain with the job claims in process memory, not Redis', `as the drain above, our claim store running its scripts on an in-process map (test/helpers/fake-claim-scripts.ts) instead of Redis: what the claims' round trips and Lua calls cost; not a deployable mode`, 'jobs/s'),
  streamsE2e: spec('ours.streams.concurrent', 'ours, Streams: publish+consume no-op jobs', `${NODE_REDIS}; concurrency ${CONCURRENCY}, publisher pipelined (Promise.all of ${BATCH})`, 'jobs/s'),
  bullAdd: spec('bullmq.add', 'BullMQ: Queue.addBulk', `bullmq 6.7 over ioredis 6 (its default driver); addBulk of ${BATCH}, awaited in turn`, 'jobs/s'),
  bullProcess: spec('bullmq.process', 'BullMQ: Worker drains no-op jobs', `bullmq 6.7 over ioredis 6; Worker concurrency ${CONCURRENCY}, removeOnComplete`, 'jobs/s'),
  bullAddNr: spec('bullmq-node-redis.add', 'BullMQ: Queue.addBulk', `bullmq 6.7 over its ${NODE_REDIS} adapter (our client); addBulk of ${BATCH}, awaited in turn`, 'jobs/s'),
  bullProcessNr: spec('bullmq-node-redis.process', 'BullMQ: Worker drains no-op jobs', `bullmq 6.7 over its ${NODE_REDIS} adapter; Worker concurrency ${CONCURRENCY}, removeOnComplete`, 'jobs/s'),
  beeAdd: spec('bee.add', 'bee-queue: saveAll', `bee-queue 2.0 (node_redis 3.1, its own); saveAll of ${BATCH} (one MULTI pipeline), awaited in turn`, 'jobs/s'),
  beeProcess: spec('bee.process', 'bee-queue: process(50) drains no-op jobs', 'bee-queue 2.0 (node_redis 3.1); process(50), removeOnSuccess, storeJobs false', 'jobs/s'),
  ratio: spec('ratio.streams-drain-vs-bullmq', 'Streams drain ÷ BullMQ process (goal ≥ 4×)', 'per run, same Redis build, same run; BullMQ over ioredis 6', 'ratio'),
  ratioNr: spec('ratio.streams-drain-vs-bullmq-node-redis', 'Streams drain ÷ BullMQ process, both over node-redis', 'per run; BullMQ over its node-redis 6.3 adapter', 'ratio'),
  ratioPubsub: spec('ratio.pubsub-vs-bullmq', 'Pub/Sub publish+consume ÷ BullMQ process', 'per run', 'ratio'),
  ratioBee: spec('ratio.streams-drain-vs-bee', 'Streams drain ÷ bee-queue process', 'per run', 'ratio'),
  ratioRaw: spec('ratio.streams-drain-vs-raw', 'Streams drain ÷ raw XREADGROUP drain (share of the client limit)', 'per run', 'ratio'),
  ratioMemRaw: spec('ratio.ablation-memory-claims-vs-raw', 'ablation: the drain with in-memory claims ÷ raw XREADGROUP drain', 'per run', 'ratio'),
} satisfies Record<string, FigureSpec>;

function spec(id: string, label: string, client: string, unit: FigureSpec['unit']): FigureSpec {
  return { id: `transport.${id}`, group: 'transport', label, client, unit, better: unit === 'ratio' || unit.endsWith('/s') ? 'higher' : 'lower' };
}

async function withServer<T>(fn: (srv: RedisServer) => Promise<T>): Promise<T> {
  const srv = await startRedisServer();
  try {
    return await fn(srv);
  } finally {
    await srv.destroy();
  }
}

async function plainClient(url: string): Promise<RedisClient> {
  const c: RedisClient = createClient({ url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

function rate(n: number, startMs: number, endMs = performance.now()): number {
  return n / ((endMs - startMs) / 1000);
}

// ---- redis-benchmark ---------------------------------------------------------------------------

async function redisBenchmark(port: number, n: number, pipeline: number, command: string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-n', String(n), '-c', '50', '-P', String(pipeline), '--csv', ...command];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-benchmark exited ${code}`))));
  });
  const row = out.trim().split('\n').pop() ?? '';
  // The test name (the command line) may itself contain '","'; the 7 numbers are the last cells.
  const cells = row.split('","');
  const rps = Number((cells[cells.length - 7] ?? '').replace(/"/g, ''));
  if (!Number.isFinite(rps)) throw new Error(`cannot parse redis-benchmark output: ${out}`);
  return rps;
}

// ---- raw node-redis ----------------------------------------------------------------------------

async function rawPublish(url: string, wires: string[], pipelined: boolean): Promise<number> {
  const c = await plainClient(url);
  try {
    const t0 = performance.now();
    if (pipelined) {
      for (const batch of chunks(wires, BATCH)) await Promise.all(batch.map((w) => c.publish('bench_raw', w)));
    } else {
      for (const w of wires) await c.publish('bench_raw', w);
    }
    return rate(wires.length, t0);
  } finally {
    await closeRedis(c);
  }
}

async function rawXadd(c: RedisClient, stream: string, wires: string[], pipelined: boolean): Promise<number> {
  const t0 = performance.now();
  if (pipelined) {
    for (const batch of chunks(wires, BATCH)) await Promise.all(batch.map((w) => c.sendCommand(['XADD', stream, '*', 'data', w])));
  } else {
    for (const w of wires) await c.sendCommand(['XADD', stream, '*', 'data', w]);
  }
  return rate(wires.length, t0);
}

/** Entry ids of an XREADGROUP reply, whatever shape RESP2/RESP3 gives it. */
function entryIds(reply: unknown): string[] {
  if (reply === null || reply === undefined) return [];
  let streams: unknown[];
  if (Array.isArray(reply)) streams = reply.map((s) => (Array.isArray(s) ? s[1] : undefined));
  else if (reply instanceof Map) streams = [...reply.values()];
  else streams = Object.values(reply as Record<string, unknown>);
  const ids: string[] = [];
  for (const entries of streams) {
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      const id: unknown = Array.isArray(e) ? e[0] : undefined;
      if (typeof id === 'string') ids.push(id);
      else if (id instanceof Uint8Array) ids.push(Buffer.from(id).toString());
    }
  }
  return ids;
}

async function rawDrain(url: string, wires: string[]): Promise<number> {
  const c = await plainClient(url);
  try {
    await rawXadd(c, 'bench_raw_stream', wires, true);
    await c.sendCommand(['XGROUP', 'CREATE', 'bench_raw_stream', 'g', '0']);
    let got = 0;
    const t0 = performance.now();
    while (got < wires.length) {
      const ids = entryIds(await c.sendCommand(['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '100', 'STREAMS', 'bench_raw_stream', '>']));
      if (ids.length === 0) throw new Error('raw drain: stream empty before all entries were read');
      await c.sendCommand(['XACK', 'bench_raw_stream', 'g', ...ids]);
      got += ids.length;
    }
    return rate(got, t0);
  } finally {
    await closeRedis(c);
  }
}

// ---- ours ----------------------------------------------------------------------------------------

interface Ours {
  transport: Transport;
  runner: DeliveryHandler;
  close(): Promise<void>;
}

async function ours(code: OurCode, url: string, kind: 'pubsub' | 'streams', backlog: number, claimsIn: 'redis' | 'memory' = 'redis'): Promise<Ours> {
  const logger = code.logging.createLogger({ level: 'silent' });
  const keys = code.keys.keysFor('bench');
  const client = await code.connection.connectRedis({ url, role: 'main', logger });
  const scripts = claimsIn === 'memory' ? new FakeClaimScripts() : code.scripts.scriptRunner(client);
  const claims = code.claimStore.createClaimStore({ scripts, keys, leaseMs: 30_000, logger });
  const transport =
    kind === 'pubsub'
      ? code.pubsub.createPubSubTransport({ client, redisUrl: url, keys, logger, backlog, maxDeliveries: 5 })
      : code.streams.createStreamsTransport({ client, redisUrl: url, keys, logger, consumerName: `bench-${process.pid}`, leaseMs: 30_000, maxDeliveries: 5 });
  const runner = code.jobRunner.createJobRunner({
    db: emptyDb(),
    claims,
    logger,
    jobTimeoutMs: 600_000,
    minChars: 1000,
    summarizerFor: () => {
      throw new Error('no-op bench: no summarizer');
    },
  });
  return {
    transport,
    runner,
    async close() {
      await claims.close();
      await transport.close();
    },
  };
}

async function publishAll(transport: Transport, messages: readonly JobMessage[]): Promise<void> {
  for (const batch of chunks(messages, BATCH)) await Promise.all(batch.map((m) => transport.publish(m)));
}

async function shedCount(code: OurCode): Promise<number> {
  return (await code.metrics.messagesShed.get()).values.reduce((a, v) => a + v.value, 0);
}

/** Consume (and, when `concurrent`, publish meanwhile) until every job was handled. */
async function oursRun(
  code: OurCode,
  url: string,
  kind: 'pubsub' | 'streams',
  messages: readonly JobMessage[],
  concurrent: boolean,
  claimsIn: 'redis' | 'memory' = 'redis',
): Promise<{ publishRate: number; rate: number; shed: number }> {
  const n = messages.length;
  const o = await ours(code, url, kind, n, claimsIn);
  let handled = 0;
  let rejected = 0;
  const handler: DeliveryHandler = async (d, signal) => {
    const s = await o.runner(d, signal);
    handled++;
    return s;
  };
  const shed0 = await shedCount(code);
  try {
    let publishRate = Number.NaN;
    if (!concurrent) {
      const t = performance.now();
      await publishAll(o.transport, messages);
      publishRate = rate(n, t);
    }
    const t0 = performance.now();
    const consumer = await o.transport.consume(handler, { concurrency: CONCURRENCY, onReject: () => rejected++ });
    if (concurrent) {
      const tp = performance.now();
      await publishAll(o.transport, messages);
      publishRate = rate(n, tp);
    }
    const shedNow = async () => (await shedCount(code)) - shed0;
    await waitUntil(async () => handled + rejected + (await shedNow()) >= n, { progress: () => handled, stallMs: 20_000, what: `${kind} consume` });
    const r = rate(handled, t0);
    await consumer.stop(5000);
    if (rejected > 0) throw new Error(`${rejected} messages rejected`);
    return { publishRate, rate: r, shed: await shedNow() };
  } finally {
    await o.close();
  }
}

// ---- BullMQ and bee-queue ----------------------------------------------------------------------

/** BullMQ over ioredis (its default driver, made from host and port) or over node-redis clients. */
async function bullmq(srv: RedisServer, driver: 'ioredis' | 'node-redis', messages: readonly JobMessage[]): Promise<{ add: number; process: number }> {
  if (driver === 'ioredis') {
    // A Worker needs maxRetriesPerRequest null on its ioredis connection.
    const connection = { host: '127.0.0.1', port: srv.port, maxRetriesPerRequest: null };
    return bullmqWith(new Queue('bench', { connection }), (processor) => new Worker('bench', processor, { connection, concurrency: CONCURRENCY, autorun: false }), messages, async () => {});
  }
  const qc = await plainClient(srv.url);
  const wc = await plainClient(srv.url);
  return bullmqWith(
    new Queue('bench', { connection: qc }),
    (processor) => new Worker('bench', processor, { connection: wc, concurrency: CONCURRENCY, autorun: false }),
    messages,
    async () => {
      await closeRedis(qc).catch(() => {});
      await closeRedis(wc).catch(() => {});
    },
  );
}

async function bullmqWith(
  queue: Queue,
  makeWorker: (processor: () => Promise<void>) => Worker,
  messages: readonly JobMessage[],
  closeClients: () => Promise<void>,
): Promise<{ add: number; process: number }> {
  try {
    const t0 = performance.now();
    for (const batch of chunks(messages, BATCH)) {
      await queue.addBulk(batch.map((m) => ({ name: m.type, data: m, opts: { removeOnComplete: true, removeOnFail: true } })));
    }
    const add = rate(messages.length, t0);
    let done = 0;
    let failed = 0;
    const worker = makeWorker(async () => {});
    worker.on('completed', () => void done++);
    worker.on('failed', () => void failed++);
    worker.on('error', () => {});
    const t1 = performance.now();
    void worker.run();
    await waitUntil(() => done + failed >= messages.length, { progress: () => done, what: 'bullmq worker' });
    const processRate = rate(done, t1);
    await worker.close();
    if (failed > 0) throw new Error(`bullmq: ${failed} jobs failed`);
    return { add, process: processRate };
  } finally {
    await queue.close();
    await closeClients();
  }
}

async function beeQueue(port: number, messages: readonly JobMessage[]): Promise<{ add: number; process: number }> {
  const settings = { redis: { host: '127.0.0.1', port }, getEvents: false, sendEvents: false, storeJobs: false, removeOnSuccess: true, removeOnFailure: true };
  const producer = new BeeQueue<JobMessage>('bench', { ...settings, isWorker: false });
  const worker = new BeeQueue<JobMessage>('bench', { ...settings, isWorker: true });
  try {
    await producer.ready();
    await worker.ready();
    const t0 = performance.now();
    for (const batch of chunks(messages, BATCH)) {
      const errors = await producer.saveAll(batch.map((m) => producer.createJob(m)));
      if (errors.size > 0) throw new Error(`bee-queue: ${errors.size} jobs not saved`);
    }
    const add = rate(messages.length, t0);
    let done = 0;
    let failed = 0;
    worker.on('succeeded', () => void done++);
    worker.on('failed', () => void failed++);
    worker.on('error', () => {});
    const t1 = performance.now();
    worker.process(CONCURRENCY, async () => undefined);
    await waitUntil(() => done + failed >= messages.length, { progress: () => done, what: 'bee-queue worker' });
    const processRate = rate(done, t1);
    if (failed > 0) throw new Error(`bee-queue: ${failed} jobs failed`);
    return { add, process: processRate };
  } finally {
    await producer.close(5000).catch(() => {});
    await worker.close(5000).catch(() => {});
  }
}

// ---- the group -----------------------------------------------------------------------------------

export async function runTransport(ctx: BenchContext, notes: string[]): Promise<void> {
  const n = ctx.quick ? 5_000 : 100_000;
  const messages = dailyJobs(n);
  const wires = messages.map(toWire);
  const payload = wires[0] as string;
  // One round trip per message: a fifth of the jobs is plenty for a rate and saves minutes.
  const unpipelined = wires.slice(0, Math.max(1000, Math.floor(n / 5)));

  // Another job queue on a fresh server: its add rate and its process rate.
  const queueStep = (add: FigureSpec, process: FigureSpec, measure: (srv: RedisServer) => Promise<{ add: number; process: number }>) => ({
    ids: [add.id, process.id],
    run: (book: FigureBook) =>
      withServer(async (srv) => {
        const r = await measure(srv);
        book.record(add, r.add);
        book.record(process, r.process);
      }),
  });
  const steps: Array<{ ids: string[]; run: (book: FigureBook) => Promise<void> }> = [
    {
      ids: [F.benchPublishP1.id, F.benchPublishP64.id, F.benchXaddP1.id, F.benchXaddP64.id],
      run: (book: FigureBook) =>
        withServer(async (srv) => {
          book.record(F.benchPublishP1, await redisBenchmark(srv.port, n, 1, ['PUBLISH', 'bench_rb', payload]));
          book.record(F.benchPublishP64, await redisBenchmark(srv.port, n * 5, 64, ['PUBLISH', 'bench_rb', payload]));
          book.record(F.benchXaddP1, await redisBenchmark(srv.port, n, 1, ['XADD', 'bench_rb_s', 'MAXLEN', '~', '100000', '*', 'data', payload]));
          book.record(F.benchXaddP64, await redisBenchmark(srv.port, n * 5, 64, ['XADD', 'bench_rb_s', 'MAXLEN', '~', '100000', '*', 'data', payload]));
        }),
    },
    { ids: [F.rawPublish.id], run: (book: FigureBook) => withServer(async (srv) => book.record(F.rawPublish, await rawPublish(srv.url, unpipelined, false))) },
    { ids: [F.rawPublishPipe.id], run: (book: FigureBook) => withServer(async (srv) => book.record(F.rawPublishPipe, await rawPublish(srv.url, wires, true))) },
    {
      ids: [F.rawXadd.id],
      run: (book: FigureBook) =>
        withServer(async (srv) => {
          const c = await plainClient(srv.url);
          book.record(F.rawXadd, await rawXadd(c, 'bench_raw_stream', unpipelined, false));
          await closeRedis(c);
        }),
    },
    {
      ids: [F.rawXaddPipe.id],
      run: (book: FigureBook) =>
        withServer(async (srv) => {
          const c = await plainClient(srv.url);
          book.record(F.rawXaddPipe, await rawXadd(c, 'bench_raw_stream', wires, true));
          await closeRedis(c);
        }),
    },
    { ids: [F.rawDrain.id], run: (book: FigureBook) => withServer(async (srv) => book.record(F.rawDrain, await rawDrain(srv.url, wires))) },
    {
      ids: [F.pubsubE2e.id, F.pubsubPublish.id],
      run: (book: FigureBook) =>
        withServer(async (srv) => {
          const r = await oursRun(await ourCode(), srv.url, 'pubsub', messages, true);
          book.record(F.pubsubPublish, r.publishRate);
          book.record(F.pubsubE2e, r.rate, r.shed > 0 ? `shed ${r.shed} in a run` : undefined);
        }),
    },
    {
      ids: [F.streamsDrain.id, F.streamsPublish.id],
      run: (book: FigureBook) =>
        withServer(async (srv) => {
          const r = await oursRun(await ourCode(), srv.url, 'streams', messages, false);
          book.record(F.streamsPublish, r.publishRate);
          book.record(F.streamsDrain, r.rate);
        }),
    },
    {
      ids: [F.streamsDrainMemClaims.id],
      run: (book: FigureBook) => withServer(async (srv) => book.record(F.streamsDrainMemClaims, (await oursRun(await ourCode(), srv.url, 'streams', messages, false, 'memory')).rate)),
    },
    {
      ids: [F.streamsE2e.id],
      run: (book: FigureBook) => withServer(async (srv) => book.record(F.streamsE2e, (await oursRun(await ourCode(), srv.url, 'streams', messages, true)).rate)),
    },
    queueStep(F.bullAdd, F.bullProcess, (srv) => bullmq(srv, 'ioredis', messages)),
    queueStep(F.bullAddNr, F.bullProcessNr, (srv) => bullmq(srv, 'node-redis', messages)),
    queueStep(F.beeAdd, F.beeProcess, (srv) => beeQueue(srv.port, messages)),
  ];
  const selected = steps.filter((s) => s.ids.some((id) => wanted(ctx, id)));
  /** Runs a step into `book`; a failure is reported under `label` and the rest go on. */
  const attempt = async (step: (typeof steps)[number], book: FigureBook, label: string): Promise<boolean> => {
    try {
      await step.run(book);
      return true;
    } catch (err) {
      ctx.error(`transport ${label}, ${step.ids.join(', ')}: ${(err as Error).message}`);
      return false;
    }
  };
  if (!ctx.quick) {
    // Every step once, untimed, into a book thrown away: V8 has then compiled the hot paths of every
    // queue alike, whatever order the rotation gives the steps.
    const t = performance.now();
    const scratch = new FigureBook();
    for (const step of selected) await attempt(step, scratch, 'warm-up');
    ctx.log(`  transport warm-up: every step once, untimed (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  notes.push(`Transport: ${n.toLocaleString('en-US')} no-op jobs per figure, each on a fresh redis-server. Ours runs the compiled dist/ modules, as \`npm start\` does (bench/lib/compiled.ts: through tsx every closure made per job also pays esbuild's keepNames wrapper), in this process beside BullMQ and bee-queue from node_modules. ${ctx.quick ? 'No warm-up (--quick).' : 'Every step ran once, untimed, before the timed runs, so every queue is measured on compiled hot paths whatever order the rotation gives it.'}`);
  const { book } = ctx;
  for (let run = 0; run < ctx.runs; run++) {
    for (const step of rotate(selected, run)) {
      const t = performance.now();
      if (!(await attempt(step, book, `run ${run + 1}`))) continue;
      ctx.log(`  transport run ${run + 1}/${ctx.runs}: ${step.ids.map((id) => `${id.replace('transport.', '')}=${fmt(book.get(id)?.values.at(-1))}`).join(' ')} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  }
  book.ratio(F.ratio, F.streamsDrain.id, F.bullProcess.id);
  book.ratio(F.ratioNr, F.streamsDrain.id, F.bullProcessNr.id);
  book.ratio(F.ratioPubsub, F.pubsubE2e.id, F.bullProcess.id);
  book.ratio(F.ratioBee, F.streamsDrain.id, F.beeProcess.id);
  book.ratio(F.ratioRaw, F.streamsDrain.id, F.rawDrain.id);
  book.ratio(F.ratioMemRaw, F.streamsDrainMemClaims.id, F.rawDrain.id);
}

function fmt(v: number | undefined): string {
  return v === undefined ? '?' : v >= 100 ? Math.round(v).toString() : v.toFixed(2);
}
