// Issue 8 item 4: the real `diary-events subscriber` process's memory while 100,000 jobs wait in
// the stream (Streams), and under a 100,000-message Pub/Sub burst with a slow handler: RSS over
// time, the subscriber connection's output buffer in Redis (CLIENT LIST omem), whether Redis cut
// it off, how many it shed, and whether the next scheduler tick republishes what is still due.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { dailyMessage } from '../../src/messages.js';
import type { RedisClient } from '../../src/transport/redis-connection.js';
import { runCli } from '../../test/helpers/cli.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { promValue, rssMiB, sleep, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';
import { benchDb, CHANNEL, publisher, seedDiaries, startFakeLlmProcess, startSubscriberProcess, subscriberEnv, type BenchDb } from '../lib/world.js';

const s = (id: string, label: string, client: string, unit: FigureSpec['unit'], better: FigureSpec['better'] = 'lower'): FigureSpec => ({
  id: `memory.${id}`, group: 'memory', label, client, unit, better,
});

function figures(n: number) {
  const k = `${n / 1000}k`;
  const sub = 'real subscriber process, SUBSCRIBER_MAX_CONCURRENT_JOBS=10';
  return {
    idle: s('idle-rss', 'idle subscriber RSS (Pub/Sub, nothing published)', sub, 'MiB'),
    streamsRss: s('streams.waiting.rss-max', `Streams: subscriber RSS, max, while ${k} jobs wait (LLM 200 ms)`, `${sub}; XREADGROUP only for free slots`, 'MiB'),
    streamsLen: s('streams.waiting.stream-length', 'Streams: XLEN − pending at the end of the window (acknowledged entries stay until trimmed beyond 100,000)', 'XLEN, XPENDING', 'count', 'higher'),
    streamsPending: s('streams.waiting.pending', 'Streams: entries delivered to the subscriber, not yet acknowledged (max)', 'XPENDING summary', 'count'),
    burstRss: s('pubsub.burst.rss-max', `Pub/Sub burst of ${k}: subscriber RSS, max`, `${sub}, SUBSCRIBER_BACKLOG=10000; fake LLM 2 ms`, 'MiB'),
    burstOmem: s('pubsub.burst.omem-max', `Pub/Sub burst of ${k}: the subscriber connection's output buffer in Redis (CLIENT LIST omem), max`, 'sampled every 50 ms; Redis default limit pubsub 32mb 8mb 60', 'MiB'),
    burstPublish: s('pubsub.burst.publish-rate', `Pub/Sub burst of ${k}: publish rate`, 'node-redis 6.3, pipelined (Promise.all of 1,000)', 'msgs/s', 'higher'),
    burstShed: s('pubsub.burst.shed', `Pub/Sub burst of ${k}: shed (diary_messages_shed_total)`, 'subscriber /metrics', 'count'),
    burstReceived: s('pubsub.burst.received', `Pub/Sub burst of ${k}: taken into the backlog or run (received − shed ≈ SUBSCRIBER_BACKLOG + slots)`, 'diary_messages_received_total counts jobs started', 'count', 'higher'),
    burstDisconnects: s('pubsub.burst.disconnects', `Pub/Sub burst of ${k}: output-buffer disconnects (Redis log) + subscriber reconnects`, 'redis-server log, diary_redis_reconnects_total', 'count'),
    burstDue: s('pubsub.burst.still-due', `Pub/Sub burst of ${k}: days still due after the subscriber stopped`, 'diaries.needs_daily_summary', 'count'),
    burstRecovered: s('pubsub.burst.republished-share', 'next `scheduler --once` tick: targets republished ÷ days still due (1 = every shed job recovered)', 'real scheduler process, Pub/Sub', 'ratio', 'higher'),
  };
}

interface Sampler {
  stop(): Promise<{ rssMax: number; omemMax: number }>;
}

/** Samples the process's RSS and (when `admin` is given) the subscriber connection's omem. */
function sample(pid: number, admin?: RedisClient): Sampler {
  let rssMax = 0;
  let omemMax = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = rssMiB(pid);
      if (Number.isFinite(r)) rssMax = Math.max(rssMax, r);
      if (admin) {
        try {
          const list = String(await admin.sendCommand(['CLIENT', 'LIST', 'TYPE', 'pubsub']));
          for (const line of list.split('\n')) {
            const m = /omem=(\d+)/.exec(line);
            if (m) omemMax = Math.max(omemMax, Number(m[1]) / 1048576);
          }
        } catch {
          // Redis busy or away: the next sample tells
        }
      }
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { rssMax, omemMax };
    },
  };
}

async function resetSummaries(db: BenchDb, userIds: readonly string[]): Promise<void> {
  await db.pool.query('DELETE FROM diary_summary_days WHERE user_id = ANY($1::uuid[])', [userIds]);
  await db.pool.query('DELETE FROM diary_summary_months WHERE user_id = ANY($1::uuid[])', [userIds]);
  await db.pool.query('DELETE FROM scheduler_ticks').catch(() => {});
}

export async function runMemory(ctx: BenchContext, notes: string[]): Promise<void> {
  const n = ctx.quick ? 10_000 : 100_000;
  const windowMs = ctx.quick ? 3000 : 10_000;
  const f = figures(n);
  if (!Object.values(f).some((x) => wanted(ctx, x.id))) return;
  const db = await benchDb();
  const slowLlm = await startFakeLlmProcess(200);
  const fastLlm = await startFakeLlmProcess(2);
  const logDir = mkdtempSync(join(tmpdir(), 'bench-redis-log-'));
  try {
    const t = performance.now();
    const { userIds, dates } = await seedDiaries(db.pool, n / 100, 100);
    ctx.log(`  memory: seeded ${n} diaries in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    const messages = userIds.flatMap((u) => dates.map((d) => dailyMessage(u, d)));
    notes.push(
      `Memory: ${n.toLocaleString('en-US')} real diaries (${userIds.length} users × 100 days) and one job per diary. Streams: the stream is filled first, then a subscriber with the 200 ms fake LLM runs for ${windowMs / 1000} s while the rest wait. Pub/Sub burst: the subscriber (SUBSCRIBER_BACKLOG 10,000 default, concurrency 10, fake LLM 2 ms) runs while all ${n.toLocaleString('en-US')} are published as fast as one pipelined connection can, then until it has worked off its backlog (at most ${ctx.quick ? 30 : 60} s); RSS from /proc every 50 ms; then \`scheduler --once\` runs once with no subscriber and its daily 'found' is compared with the days still due.`,
    );
    for (let run = 0; run < ctx.runs; run++) {
      await resetSummaries(db, userIds);
      // -- Streams: jobs waiting.
      {
        const redis = await startRedisServer();
        const pub = await publisher(redis.url, 'streams');
        const admin: RedisClient = createClient({ url: redis.url });
        await admin.connect();
        try {
          await pub.publish(messages);
          const sub = await startSubscriberProcess(subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: 'streams', llmUrl: slowLlm.url, concurrency: 10 }));
          const sampler = sample(sub.cli.proc.pid as number);
          let pendingMax = 0;
          const until = Date.now() + windowMs;
          while (Date.now() < until) {
            const p = (await admin.sendCommand(['XPENDING', `${CHANNEL}:stream`, 'diary-subscribers'])) as unknown[];
            pendingMax = Math.max(pendingMax, Number(p[0] ?? 0));
            await sleep(100);
          }
          const { rssMax } = await sampler.stop();
          const len = Number(await admin.sendCommand(['XLEN', `${CHANNEL}:stream`]));
          const pending = (await admin.sendCommand(['XPENDING', `${CHANNEL}:stream`, 'diary-subscribers'])) as unknown[];
          ctx.book.record(f.streamsRss, rssMax);
          ctx.book.record(f.streamsLen, len - Number(pending[0] ?? 0));
          ctx.book.record(f.streamsPending, pendingMax);
          ctx.log(`  memory run ${run + 1}: streams waiting: rss max ${rssMax.toFixed(0)} MiB, ${len} in stream, pending max ${pendingMax}`);
          await sub.cli.stop('SIGTERM');
        } finally {
          admin.destroy();
          await pub.close();
          await redis.destroy();
        }
      }
      await resetSummaries(db, userIds);
      // -- Pub/Sub burst.
      {
        const logFile = join(logDir, `redis-${run}.log`);
        const redis = await startRedisServer({ args: ['--logfile', logFile] });
        const admin: RedisClient = createClient({ url: redis.url });
        await admin.connect();
        const env = subscriberEnv({ redisUrl: redis.url, dbUrl: db.url, transport: 'pubsub', llmUrl: fastLlm.url, concurrency: 10 });
        try {
          const sub = await startSubscriberProcess(env);
          await sleep(1000);
          ctx.book.record(f.idle, rssMiB(sub.cli.proc.pid as number));
          const sampler = sample(sub.cli.proc.pid as number, admin);
          const pub: RedisClient = createClient({ url: redis.url });
          await pub.connect();
          const wires = messages.map((m) => JSON.stringify(m));
          const t0 = performance.now();
          for (let i = 0; i < wires.length; i += 1000) {
            await Promise.all(wires.slice(i, i + 1000).map((w) => pub.publish(CHANNEL, w)));
          }
          const publishRate = wires.length / ((performance.now() - t0) / 1000);
          pub.destroy();
          // Until the backlog is worked off: nothing in flight and no new job started for 1 s.
          const deadline = Date.now() + (ctx.quick ? 30_000 : 60_000);
          let lastReceived = -1;
          let stableSince = Date.now();
          while (Date.now() < deadline) {
            const m = await sub.metrics();
            const received = promValue(m, 'diary_messages_received_total');
            const inFlight = promValue(m, 'diary_jobs_in_flight');
            if (received !== lastReceived) {
              lastReceived = received;
              stableSince = Date.now();
            } else if (inFlight === 0 && Date.now() - stableSince > 1000) break;
            await sleep(200);
          }
          const { rssMax, omemMax } = await sampler.stop();
          const m = await sub.metrics();
          const shed = promValue(m, 'diary_messages_shed_total');
          const received = promValue(m, 'diary_messages_received_total');
          const reconnects = promValue(m, 'diary_redis_reconnects_total');
          await sub.cli.stop('SIGTERM');
          const log = readFileSync(logFile, 'utf8');
          const cutOff = (log.match(/output buffer limits|overcoming of output buffer/g) ?? []).length;
          const { rows } = await db.pool.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM diaries WHERE needs_daily_summary AND user_id = ANY($1::uuid[])',
            [userIds],
          );
          const due = rows[0]?.n ?? 0;
          // The next tick, with nobody subscribed: how many does it republish?
          const tick = await runCli(['scheduler', '--once'], { ...env, LOG_LEVEL: 'info' }, 120_000);
          const daily = tick.stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { msg?: string; job?: string; found?: number; published?: number })
            .find((l) => l.msg === 'tick done' && (l.job ?? '').includes('daily'));
          const republished = daily?.published ?? Number.NaN;
          ctx.book.record(f.burstRss, rssMax);
          ctx.book.record(f.burstOmem, omemMax);
          ctx.book.record(f.burstPublish, publishRate);
          ctx.book.record(f.burstShed, shed);
          ctx.book.record(f.burstReceived, received);
          ctx.book.record(f.burstDisconnects, cutOff + reconnects);
          ctx.book.record(f.burstDue, due);
          ctx.book.record(f.burstRecovered, republished / due);
          ctx.log(`  memory run ${run + 1}: pubsub burst: rss max ${rssMax.toFixed(0)} MiB, omem max ${omemMax.toFixed(1)} MiB, published ${publishRate.toFixed(0)}/s, shed ${shed}, received ${received}, cut off ${cutOff}, reconnects ${reconnects}, due ${due}, next tick republished ${republished}${tick.code === 0 ? '' : ` (scheduler exit ${tick.code}: ${tick.stderr.slice(-300)})`}`);
        } finally {
          admin.destroy();
          await redis.destroy();
        }
      }
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    await slowLlm.stop();
    await fastLlm.stop();
    await db.drop();
  }
}
