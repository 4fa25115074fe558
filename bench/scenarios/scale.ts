// Issue 21's simulation: 1,000,000 due days (bench/target-queries.ts's bulk seed: 100,000 users ×
// 10 days, all due), real scheduler ticks (the daily job with admission control, real PostgreSQL,
// a real redis-server and the streams transport) against a fake fleet that clears a fixed number
// of jobs per simulated second: between ticks it reads that many entries from the group, stores
// each as a done summary (the real tables and triggers, which also spend the announcement) and
// acknowledges and trims them. Time is simulated (a FakeClock drives the ticks and the fleet), so
// a backlog of hours runs in minutes; the figures per tick are real: messages published, stream
// length, Redis used_memory, the tick's duration. Streams only (Pub/Sub's room comes from live
// subscribers' heartbeats, which run on real time).
import { writeFileSync } from 'node:fs';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { parseMessage } from '../../src/messages.js';
import { createFleet } from '../../src/scheduler/admission.js';
import { dailySummaryJob } from '../../src/scheduler/summary-jobs.js';
import type { FleetCapacity } from '../../src/transport/inspector.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { streamsInspector } from '../../src/transport/streams/streams-inspector.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { TARGET_OPTIONS, seededDatabase, type SeededDb } from '../target-queries.js';
import { wanted, type BenchContext } from '../lib/common.js';
import { CHANNEL } from '../lib/world.js';
import { storeDone, targetOf, type TickRow } from './scale-fleet.js';
import { simulatePubSub, type PubSubFleetShape } from './scale-pubsub.js';

const FLEET_JOBS_PER_S = 1000;
const INTERVAL_MS = 60_000;
const MAX_TICKS = Number(process.env.SCALE_MAX_TICKS ?? 40);
/** Pub/Sub's run: smaller, so a fleet whose room is a few thousand clears it in a few dozen ticks. */
const PUBSUB_DAYS = Number(process.env.SCALE_PUBSUB_DAYS ?? 100_000);
/** The streams backlog (SCALE_DAYS: smaller for a smoke run). */
const DAYS = Number(process.env.SCALE_DAYS ?? 1_000_000);
const PUBSUB_FLEET: PubSubFleetShape = { subscribers: 3, slots: 10, backlog: 1000, jobsPerSecond: 50, lossRate: 0.02 };
const logger = createLogger({ level: 'silent' });
const job = dailySummaryJob({ intervalMs: INTERVAL_MS, defaultTimezone: TARGET_OPTIONS.defaultTimezone, minChars: TARGET_OPTIONS.minChars });

async function usedMemory(client: RedisClient): Promise<number> {
  const info = String(await client.sendCommand(['INFO', 'memory']));
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** The fake fleet: clears up to `n` waiting entries — stored as done summaries, acknowledged, trimmed. */
async function clear(client: RedisClient, db: Db, n: number): Promise<number> {
  const keys = keysFor(CHANNEL);
  let cleared = 0;
  while (cleared < n) {
    const reply: unknown = await client.sendCommand(['XREADGROUP', 'GROUP', keys.group, 'fleet', 'COUNT', String(Math.min(5000, n - cleared)), 'STREAMS', keys.stream, '>']);
    // RESP2 gives [[stream, entries]]; node-redis may map it to { stream: entries }.
    type Entries = [string, string[]][];
    const entries: Entries = reply === null || reply === undefined ? []
      : Array.isArray(reply) ? ((reply[0] as [string, Entries] | undefined)?.[1] ?? [])
        : ((Object.values(reply as Record<string, Entries>)[0]) ?? []);
    if (entries.length === 0) break;
    const users: string[] = [];
    const dates: string[] = [];
    for (const [, fields] of entries) {
      const parsed = parseMessage(fields[1] ?? '');
      if (parsed.ok && parsed.message.type === 'daily_summary') {
        users.push(parsed.message.user_id);
        dates.push(parsed.message.date);
      }
    }
    await storeDone(db, users, dates);
    await client.sendCommand(['XACK', keys.stream, keys.group, ...entries.map(([id]) => id)]);
    cleared += entries.length;
  }
  // Acknowledged entries go, as the janitor's trim would take them: what is left is the lag.
  const { ahead } = await streamsInspector(client, keys).capacity(0);
  await client.sendCommand(['XTRIM', keys.stream, 'MAXLEN', String(Math.max(0, ahead))]);
  return cleared;
}

async function simulate(ctx: BenchContext, s: SeededDb, redisUrl: string, label: string, fixedRoom?: number, ticks = MAX_TICKS) {
  const keys = keysFor(CHANNEL);
  const client = await connectRedis({ url: redisUrl, role: 'bench', logger });
  await client.sendCommand(['DEL', keys.stream]);
  await client.sendCommand(['XGROUP', 'CREATE', keys.stream, keys.group, '0', 'MKSTREAM']);
  const transport = createStreamsTransport({ client, redisUrl, keys, logger, consumerName: 'bench-scheduler', leaseMs: 30_000, maxDeliveries: 5 });
  const inspector = streamsInspector(client, keys);
  const clock = new FakeClock(TARGET_OPTIONS.now.getTime());
  const capacity = fixedRoom === undefined ? inspector.capacity : async (hw: number): Promise<FleetCapacity> => ({ ...(await inspector.capacity(hw)), room: fixedRoom });
  const fleet = createFleet({ inspector: { capacity }, clock });
  const rows: TickRow[] = [];
  const targets = new Set<string>();
  try {
    for (let tick = 1; tick <= ticks; tick++) {
      const t0 = performance.now();
      const r = await job.run({ db: s.db, now: new Date(clock.now()), logger, fleet, publish: (m) => {
        targets.add(targetOf(m));
        return transport.publish(m);
      } });
      const tickMs = performance.now() - t0;
      const status = await inspector.status();
      const cap = await inspector.capacity(0);
      const row: TickRow = { tick, published: r.published, streamLength: status.depth ?? 0, waiting: cap.ahead, usedMemory: await usedMemory(client), tickMs, cleared: 0 };
      // One interval of the fleet.
      row.cleared = await clear(client, s.db, fixedRoom ?? (FLEET_JOBS_PER_S * INTERVAL_MS) / 1000);
      await clock.advance(INTERVAL_MS);
      rows.push(row);
      ctx.log(`  scale ${label} tick ${tick}: published ${r.published}, stream ${row.streamLength}, used_memory ${(row.usedMemory / 1048576).toFixed(1)} MiB, tick ${tickMs.toFixed(0)} ms, cleared ${row.cleared}`);
      if (r.found === 0 && row.waiting === 0 && fixedRoom === undefined) break;
    }
  } finally {
    await transport.close();
    await closeRedis(client);
  }
  return { rows, targets: targets.size };
}

/**
 * Every day of the seed due: the summaries go, the markers are set in bulk with the triggers off
 * (the seed's own `due` would compare each row against a list of a million). No month is due
 * while its days are, so the marker of every month stays as the seed left it.
 */
async function allDue(s: SeededDb): Promise<SeededDb> {
  await s.db.exec(`
    ALTER TABLE diaries DISABLE TRIGGER USER;
    ALTER TABLE diary_summary_days DISABLE TRIGGER USER;
    TRUNCATE diary_summary_days;
    UPDATE diaries SET needs_daily_summary = true WHERE NOT needs_daily_summary;
    UPDATE diaries SET announced_at = NULL, announced_via = NULL, reannounce_at = NULL WHERE announced_at IS NOT NULL;
    ALTER TABLE diaries ENABLE TRIGGER USER;
    ALTER TABLE diary_summary_days ENABLE TRIGGER USER;`);
  // VACUUM cannot share the multi-statement batch's implicit transaction.
  await s.db.exec('VACUUM ANALYZE diaries');
  await s.db.exec('VACUUM ANALYZE diary_summary_days');
  return s;
}

export async function runScale(ctx: BenchContext, notes: string[]): Promise<void> {
  if (!wanted(ctx, 'scale')) return;
  const redis = await startRedisServer();
  const sizes = {
    small: await seededDatabase(10_000, 1000),
    big: await allDue(await seededDatabase(DAYS, 1000)),
    pubsub: await allDue(await seededDatabase(PUBSUB_DAYS, 1000)),
  };
  try {
    ctx.log(`  scale: seeded ${DAYS.toLocaleString('en')} due days in ${sizes.big.seedSeconds.toFixed(0)} s`);
    // Tick duration admitting the same 1,000 over a backlog of 1,000 and of 1,000,000.
    const { rows: small } = await simulate(ctx, sizes.small, redis.url, 'backlog 1k, admitting 1k', 1000, 1);
    const { rows: bigSame } = await simulate(ctx, sizes.big, redis.url, 'backlog 1M, admitting 1k', 1000, 3);
    const { rows: bigRows, targets: distinct } = await simulate(ctx, sizes.big, redis.url, '1M');
    const ps = await simulatePubSub(ctx, {
      db: sizes.pubsub.db, redisUrl: redis.url, job, startMs: TARGET_OPTIONS.now.getTime(), intervalMs: INTERVAL_MS, maxTicks: 400, fleet: PUBSUB_FLEET, label: 'pubsub 100k',
    });
    const [{ n: psLeft }] = (await sizes.pubsub.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM diaries WHERE needs_daily_summary`)) as [{ n: number }];
    const first = (rows: TickRow[]) => (rows[0] as TickRow).tickMs;
    const published = bigRows.reduce((n, r) => n + r.published, 0);
    const cleared = bigRows.reduce((n, r) => n + r.cleared, 0);
    const maxMem = Math.max(...bigRows.map((r) => r.usedMemory));
    const maxWaiting = Math.max(...bigRows.map((r) => r.waiting));
    const full = bigRows.filter((r) => r.published > 0).map((r) => r.tickMs).sort((a, b) => a - b);
    const spec = (id: string, label: string, unit: 'ms' | 'count' | 'ratio' | 'bytes' | 's') => ({ id: `scale.${id}`, group: 'scale', label, client: 'dailySummaryJob with createFleet, FakeClock', unit, better: 'lower' as const });
    ctx.book.record(spec('publishes-per-target', 'stream publishes ÷ distinct targets published (goal ≤ 1.1)', 'ratio'), published / Math.max(1, distinct));
    ctx.book.record(spec('pubsub-publishes-per-target', `Pub/Sub publishes ÷ distinct targets published, ${PUBSUB_FLEET.lossRate * 100} % lost silently (goal ≤ 2)`, 'ratio'), ps.published / Math.max(1, ps.targets));
    ctx.book.record(spec('peak-used-memory', 'Redis used_memory, peak over the ticks', 'bytes'), maxMem);
    ctx.book.record(spec('tick-1k-admitted-backlog-1k', 'tick admitting 1,000 over a backlog of 1,000', 'ms'), first(small));
    ctx.book.record(spec('tick-1k-admitted-backlog-1m', 'tick admitting 1,000 over a backlog of 1,000,000 (first of 3)', 'ms'), first(bigSame));
    ctx.book.record(spec('tick-median-1m', 'tick over the 1 M backlog, median of ticks that published', 'ms'), full[Math.floor(full.length / 2)] ?? Number.NaN);
    ctx.book.record(spec('saved-diary-wait', `a saved diary behind the most waiting entries at ${FLEET_JOBS_PER_S} jobs/s (no priority stream)`, 's'), maxWaiting / FLEET_JOBS_PER_S);
    const md = [
      `# Scale simulation: ${DAYS.toLocaleString('en')} due days, streams, a fleet clearing ${FLEET_JOBS_PER_S} jobs/s, ${INTERVAL_MS / 1000} s interval`,
      '',
      'Command: `npm run bench -- --only scale --runs 1 --out /tmp/bench-scale/` (this file is written by it).',
      `Simulated time (FakeClock); real PostgreSQL 15, redis-server 7.0, real daily job and admission. ${bigRows.length} ticks (cap ${MAX_TICKS}, SCALE_MAX_TICKS).`,
      '',
      `- publishes ${published}, distinct targets published ${distinct}, ratio **${(published / Math.max(1, distinct)).toFixed(3)}** (goal ≤ 1.1); cleared ${cleared}`,
      `- Pub/Sub, ${PUBSUB_DAYS.toLocaleString('en')} due days, a fleet of ${PUBSUB_FLEET.subscribers} subscribers × (${PUBSUB_FLEET.slots} slots + ${PUBSUB_FLEET.backlog} backlog) clearing ${PUBSUB_FLEET.jobsPerSecond} jobs/s and losing ${PUBSUB_FLEET.lossRate * 100} % of deliveries silently (no loss report: only the re-announce window brings them back): ${ps.rows.length} ticks, publishes ${ps.published} for ${ps.targets} distinct targets (${psLeft} of ${PUBSUB_DAYS} still due at the end), ratio **${(ps.published / Math.max(1, ps.targets)).toFixed(3)}** (goal ≤ 2); shed ${ps.shed}, lost ${ps.lost}, deliveries of a target already done ${ps.redundant}`,
      `- peak Redis used_memory **${(maxMem / 1048576).toFixed(1)} MiB**, peak waiting entries ${maxWaiting}`,
      `- tick admitting 1,000: backlog 1,000 **${first(small).toFixed(0)} ms**, backlog 1,000,000 **${first(bigSame).toFixed(0)} ms** (ticks 2–3: ${bigSame.slice(1).map((r) => r.tickMs.toFixed(0)).join(', ')} ms; ratio ${(first(bigSame) / first(small)).toFixed(2)}×, goal ≤ 2×); first tick over the 1 M backlog (admitting the 10,000 mark) ${first(bigRows).toFixed(0)} ms; median of the 1 M ticks that published ${(full[Math.floor(full.length / 2)] ?? 0).toFixed(0)} ms`,
      `- a diary_saved job queued behind at most ${maxWaiting} entries: ${(maxWaiting / FLEET_JOBS_PER_S).toFixed(1)} s at ${FLEET_JOBS_PER_S} jobs/s`,
      '',
      '| tick | published | stream length | waiting | used_memory MiB | tick ms | cleared in the interval |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...bigRows.map((r) => `| ${r.tick} | ${r.published} | ${r.streamLength} | ${r.waiting} | ${(r.usedMemory / 1048576).toFixed(1)} | ${r.tickMs.toFixed(0)} | ${r.cleared} |`),
      '',
    ].join('\n');
    writeFileSync(new URL('../results/scale-1m.md', import.meta.url), md);
    notes.push(`Scale: see bench/results/scale-1m.md (per-tick table).`);
  } finally {
    await redis.destroy();
    await sizes.small.drop();
    await sizes.big.drop();
    await sizes.pubsub.drop();
  }
}
