// Issue 16's measurements, side by side with the same jobs in each run: one Redis (streams, one
// partition) against a 3-master cluster (three replicas) with 8 and with 64 partitions. For each:
// publish rate (on the cluster with WAIT 1, and without it: the cost of WAIT), the drain rate of our
// consumer and job runner (no-op jobs, concurrency 50), and each master's share of the commands
// (INFO commandstats) and of the CPU (INFO cpu) over the publish and the drain.
//
// Two cores cannot show a cluster's capacity (six redis-servers and the bench share them); what
// they can show is balance: with equal shares, N masters carry about N times one's load.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, toWire, type JobMessage } from '../../src/messages.js';
import { createJobRunner } from '../../src/subscriber/job-runner.js';
import { createClaimStore } from '../../src/transport/claim-store.js';
import { connectCluster } from '../../src/transport/cluster-connection.js';
import { keysFor, keysOfPartition } from '../../src/transport/keys.js';
import { createLimits } from '../../src/transport/limits.js';
import { closeRedis, connectRedis, type RedisConn } from '../../src/transport/redis-connection.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { addEntry } from '../../src/transport/streams/stream-commands.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import { startRedisCluster, type RedisCluster } from '../../test/helpers/redis-cluster.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import { emptyDb, waitUntil, wanted, type BenchContext } from '../lib/common.js';
import type { FigureSpec } from '../lib/figures.js';

const CONCURRENCY = 50;
const WINDOW = 1000;
const logger = createLogger({ level: 'silent' });

function spec(id: string, label: string, client: string, unit: FigureSpec['unit'], better: FigureSpec['better']): FigureSpec {
  return { id: `cluster.${id}`, group: 'cluster', label, client, unit, better };
}

const PUB = `transport.publish, node-redis, Promise.all windows of ${WINDOW}`;
const DRAIN = `our consumer + job runner (claims, user slots, no-op handler), concurrency ${CONCURRENCY}`;

export const F = {
  singlePublish: spec('single.publish', 'one Redis: publish (XADD)', PUB, 'msgs/s', 'higher'),
  singleDrain: spec('single.drain', 'one Redis: drain', DRAIN, 'jobs/s', 'higher'),
  ...Object.fromEntries(
    [8, 64].flatMap((p) => [
      [`p${p}Publish`, spec(`p${p}.publish-wait`, `3 masters, ${p} partitions: publish (XADD + WAIT 1)`, PUB, 'msgs/s', 'higher')],
      [`p${p}PublishNoWait`, spec(`p${p}.publish-no-wait`, `3 masters, ${p} partitions: XADD alone, same jobs`, 'addEntry per job, same windows', 'msgs/s', 'higher')],
      [`p${p}WaitCost`, spec(`p${p}.wait-cost`, `3 masters, ${p} partitions: publish with WAIT ÷ without`, 'per run', 'ratio', 'higher')],
      [`p${p}Drain`, spec(`p${p}.drain`, `3 masters, ${p} partitions: drain`, `${DRAIN}; partitions polled without blocking`, 'jobs/s', 'higher')],
      [`p${p}VsSingle`, spec(`p${p}.drain-vs-single`, `3 masters, ${p} partitions: drain ÷ one Redis's`, 'per run, same jobs', 'ratio', 'higher')],
      [`p${p}Spread`, spec(`p${p}.commands-spread`, `3 masters, ${p} partitions: commands per master, largest deviation from the mean`, 'INFO commandstats delta per master over publish + drain (goal ≤ 0.20)', 'fraction', 'lower')],
      [`p${p}CpuSpread`, spec(`p${p}.cpu-spread`, `3 masters, ${p} partitions: CPU per master, largest deviation from the mean`, 'INFO cpu (user + sys) delta per master', 'fraction', 'lower')],
    ]),
  ),
} as Record<string, FigureSpec>;

function fig(key: string): FigureSpec {
  const f = F[key];
  if (!f) throw new Error(`no figure ${key}`);
  return f;
}

/** Jobs of distinct users (one each), so users, and with them partitions, are as even as hashing makes them. */
function jobsOfManyUsers(n: number): JobMessage[] {
  return Array.from({ length: n }, (_, i) => dailyMessage(randomUUID(), `2024-0${1 + (i % 9)}-1${i % 10}`));
}

function info(port: number, section: string): string {
  return spawnSync('redis-cli', ['-p', String(port), 'INFO', section], { encoding: 'utf8' }).stdout ?? '';
}

/** Calls of this system's commands on a node (not INFO, replication and cluster upkeep). */
function commandCalls(port: number): number {
  let total = 0;
  for (const m of info(port, 'commandstats').matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    if (!/^(info|replconf|ping|cluster|command|psync|sync)/.test(m[1] as string)) total += Number(m[2]);
  }
  return total;
}

function cpuSeconds(port: number): number {
  const text = info(port, 'cpu');
  const get = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

function spread(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.max(...values.map((v) => Math.abs(v - mean) / mean));
}

async function publishAll(publish: (m: JobMessage) => Promise<unknown>, jobs: readonly JobMessage[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < jobs.length; i += WINDOW) await Promise.all(jobs.slice(i, i + WINDOW).map(publish));
  return jobs.length / ((performance.now() - t0) / 1000);
}

interface Measured {
  publish: number;
  drain: number;
}

/** Publishes `jobs` through a streams transport on `conn`, then drains them with our runner. */
async function publishAndDrain(conn: RedisConn, url: string, channel: string, partitions: number, cluster: boolean, jobs: readonly JobMessage[]): Promise<Measured> {
  const keys = keysFor(channel, { partitions, cluster });
  const transport = createStreamsTransport({
    client: conn, redisUrl: url, keys, logger, consumerName: `bench-${process.pid}`, leaseMs: 30_000, maxDeliveries: 5,
    connect: (role) => connectRedis({ url, role, logger }),
  });
  // As the subscriber runs it by default: claims in the job's partition, and the user's slot
  // (USER_MAX_CONCURRENT_JOBS) in a key of its own, which spreads over all slots by user.
  const scripts = scriptRunner(conn);
  const claims = createClaimStore({ scripts, keys, leaseMs: 30_000, logger });
  const userSlots = createLimits(scripts, keys).userSlots({ limit: 2, leaseMs: 30_000, logger });
  const runner = createJobRunner({
    db: emptyDb(), claims, userSlots, logger, jobTimeoutMs: 600_000, minChars: 1000,
    summarizerFor: () => {
      throw new Error('no-op bench: no summarizer');
    },
  });
  try {
    const publish = await publishAll((m) => transport.publish(m), jobs);
    let done = 0;
    const t0 = performance.now();
    const consumer = await transport.consume(
      async (d, signal) => {
        const s = await runner(d, signal);
        done++;
        return s;
      },
      { concurrency: CONCURRENCY, onReject: () => {} },
    );
    await waitUntil(() => done >= jobs.length && consumer.inFlight() === 0, { progress: () => done, what: `${channel} drain` });
    const drain = jobs.length / ((performance.now() - t0) / 1000);
    await consumer.stop(5000);
    return { publish, drain };
  } finally {
    await claims.close();
    await transport.close();
  }
}

export async function runCluster(ctx: BenchContext, notes: string[]): Promise<void> {
  const n = ctx.quick ? 2_000 : 20_000;
  if (!wanted(ctx, 'cluster.')) return;
  const single = await startRedisServer();
  let cluster: RedisCluster | undefined;
  try {
    cluster = await startRedisCluster({ appendfsync: 'everysec' });
    const masters = cluster.masters();
    const singleConn = await connectRedis({ url: single.url, role: 'bench', logger });
    const clusterConn = await connectCluster({ seeds: cluster.seeds.split(','), url: 'redis://127.0.0.1', role: 'bench', logger });
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const jobs = jobsOfManyUsers(n);
        const one = await publishAndDrain(singleConn, single.url, `b${run}s`, 1, false, jobs);
        ctx.book.record(fig('singlePublish'), one.publish);
        ctx.book.record(fig('singleDrain'), one.drain);
        const shares: string[] = [];
        for (const p of [8, 64]) {
          const cmd0 = masters.map(commandCalls);
          const cpu0 = masters.map(cpuSeconds);
          const r = await publishAndDrain(clusterConn, single.url, `b${run}c${p}`, p, true, jobs);
          const cmds = masters.map((port, i) => commandCalls(port) - (cmd0[i] as number));
          const cpus = masters.map((port, i) => cpuSeconds(port) - (cpu0[i] as number));
          // The same jobs XADDed alone (no WAIT), into streams of their own.
          const bare = keysFor(`b${run}c${p}x`, { partitions: p, cluster: true });
          const noWait = await publishAll((m) => addEntry(clusterConn, keysOfPartition(bare, bare.partitionOf(m.user_id)), toWire(m)), jobs);
          ctx.book.record(fig(`p${p}Publish`), r.publish);
          ctx.book.record(fig(`p${p}PublishNoWait`), noWait);
          ctx.book.record(fig(`p${p}WaitCost`), r.publish / noWait);
          ctx.book.record(fig(`p${p}Drain`), r.drain);
          ctx.book.record(fig(`p${p}VsSingle`), r.drain / one.drain);
          ctx.book.record(fig(`p${p}Spread`), spread(cmds));
          ctx.book.record(fig(`p${p}CpuSpread`), spread(cpus));
          shares.push(`${p} partitions: commands ${cmds.join(' / ')}, CPU ${cpus.map((c) => c.toFixed(2)).join(' / ')} s`);
          // Free the cluster's memory before the next case.
          for (const k of [keysFor(`b${run}c${p}`, { partitions: p, cluster: true }), bare]) {
            for (const part of k.partitions) await clusterConn.sendCommand(['DEL', part.stream, `${part.stream}:urgent`]);
          }
        }
        await singleConn.sendCommand(['FLUSHALL']);
        ctx.log(`cluster run ${run + 1}: one Redis publish ${one.publish.toFixed(0)}/s, drain ${one.drain.toFixed(0)}/s; ${shares.join('; ')}`);
        if (run === 0) notes.push(`cluster: per master (ports ${masters.join(', ')}), run 1 — ${shares.join('; ')}`);
      }
    } finally {
      await closeRedis(singleConn);
      await clusterConn.close();
    }
  } finally {
    await cluster?.destroy();
    await single.destroy();
  }
}
