// A cluster's operations during a run, on a real six-node cluster with QUEUE_PARTITIONS=8 and real
// CLI processes: slots resharded with `redis-cli --cluster reshard` under both transports (streams
// lose nothing; Pub/Sub converges through the scheduler's later ticks), and every redis process
// restarted one by one under load (everything converges, nothing pending or dead); and the move from
// one Redis to the cluster with `migrate-queue`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { keysFor, urgentLane, type Keys } from '../../src/transport/keys.js';
import { slotOf } from '../../src/transport/slots.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { eventually } from '../helpers/cli.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { CLUSTER_PARTITIONS, callsPerMarker, createWorld, startSubscriber, type TransportKind, type World } from './fixture.js';

const keysOf = (w: World): Keys => keysFor(w.channel, { cluster: true, partitions: CLUSTER_PARTITIONS });

/**
 * The reshard that moves a partition with the fewest slots: `redis-cli --cluster reshard` takes a
 * source's lowest slots first, so moving (partition slot − range start + 1) slots carries it.
 */
function smallestMove(cluster: RedisCluster, keys: Keys): { from: number; to: number; slots: number; slot: number } {
  const masters = cluster.masters();
  let best: { from: number; to: number; slots: number; slot: number } | undefined;
  for (const from of masters) {
    const [start, end] = cluster.slotRanges(from)[0] ?? [0, -1];
    for (const p of keys.partitions) {
      const slot = slotOf(p.tag);
      if (slot < start || slot > end) continue;
      const slots = slot - start + 1;
      if (!best || slots < best.slots) best = { from, to: masters.find((m) => m !== from) as number, slots, slot };
    }
  }
  assert.ok(best, 'some master starts its range below a partition');
  return best;
}

function servedBy(cluster: RedisCluster, port: number, slot: number): boolean {
  return cluster.slotRanges(port).some(([a, b]) => slot >= a && slot <= b);
}

/** Entries delivered and not acknowledged, over every partition of both lanes. */
function pendingEverywhere(cluster: RedisCluster, keys: Keys): number {
  return [...keys.partitions, ...urgentLane(keys).partitions]
    .map((p) => Number(/^(\d+)/.exec(cluster.cli(['-c', 'XPENDING', p.stream, keys.group]))?.[1] ?? 0))
    .reduce((a, b) => a + b, 0);
}

function deadLetters(cluster: RedisCluster, keys: Keys): number {
  return Number(cluster.cli(['-c', 'XLEN', keys.dead]).trim());
}

async function seedMany(w: World, users: number, days: number): Promise<number> {
  for (let i = 0; i < users; i++) await w.seed(days);
  return users * days;
}

/** Seeds `users` users with `days` due days each; returns their ids. */
async function seedUsers(w: World, users: number, days: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < users; i++) ids.push((await w.seed(days)).userId);
  return ids;
}

/** Done daily summaries of these users. */
async function doneAmong(w: World, users: readonly string[]): Promise<number> {
  const { rows } = await w.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM diary_summary_days WHERE status = 'done' AND user_id = ANY($1::uuid[])`,
    [users],
  );
  return (rows[0] as { n: number }).n;
}

// One cluster, both transports at once (each world its own channel, database and fake LLM): one
// reshard moves a partition of each, and takes half the time two would on two cores.
describe('reshard during a run, both transports at once', () => {
  let cluster: RedisCluster;
  const worlds: World[] = [];
  before(async () => {
    cluster = await startRedisCluster({ appendfsync: 'always' });
    for (const transport of ['streams', 'pubsub'] as TransportKind[]) worlds.push(await createWorld(transport, { cluster, llmLatencyMs: 30 }));
  });
  after(async () => {
    for (const w of worlds) await w.close();
    await cluster?.destroy();
  });

  test('slots move with redis-cli --cluster reshard while jobs run and keep arriving: streams lose nothing, Pub/Sub converges', async (t) => {
    const env = { SUBSCRIBER_MAX_CONCURRENT_JOBS: '4', SCHEDULER_INTERVAL: '1s' };
    const runs = [];
    for (const w of worlds) {
      const users = await seedUsers(w, 20, 4);
      const subs = [await startSubscriber(w, env), await startSubscriber(w, env)];
      runs.push({ w, users, subs, scheduler: w.spawn(['scheduler'], env) });
    }
    await eventually(async () => (await Promise.all(worlds.map((w) => w.doneCount()))).every((n) => n >= 10), 60_000, 'both runs under way');
    const move = smallestMove(cluster, keysOf(worlds[0] as World));
    // New diaries keep arriving for as long as the slots move, so the run spans the reshard.
    let resharding = true;
    const feeding = Promise.all(runs.map(async (r) => {
      while (resharding) {
        r.users.push(...(await seedUsers(r.w, 1, 4)));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }));
    const t0 = Date.now();
    const doneAtStart = await Promise.all(runs.map((r) => r.w.doneCount()));
    await cluster.reshard(move.from, move.to, move.slots);
    const doneAtEnd = await Promise.all(runs.map((r) => r.w.doneCount()));
    const reshardMs = Date.now() - t0;
    resharding = false;
    await feeding;
    assert.ok(servedBy(cluster, move.to, move.slot), `slot ${move.slot} moved to ${move.to}`);
    await Promise.all(runs.map((r) => eventually(async () => (await r.w.doneCount()) === r.users.length * 4, 90_000, `every ${r.w.transport} job done after the reshard`)));
    for (const r of runs) {
      assert.equal(await r.scheduler.stop(), 0);
      for (const s of r.subs) assert.equal(await s.stop(), 0);
    }
    runs.forEach((r, i) => {
      const jobs = r.users.length * 4;
      t.diagnostic(`${r.w.transport}: ${jobs} jobs, ${r.w.llm.requests.length} LLM calls, ${doneAtStart[i]} done when the reshard began, ${doneAtEnd[i]} when it ended`);
      assert.ok((doneAtEnd[i] as number) > (doneAtStart[i] as number), `${r.w.transport}: jobs were done while the slots moved`);
      assert.equal(callsPerMarker(r.w.llm).size, jobs, `${r.w.transport}: every job reached the LLM`);
    });
    t.diagnostic(`${move.slots} slots (partition slot ${move.slot}) moved ${move.from} → ${move.to} in ${reshardMs} ms`);
    const streams = keysOf(worlds[0] as World);
    assert.equal(deadLetters(cluster, streams), 0, 'streams: nothing dead-lettered');
    await eventually(async () => pendingEverywhere(cluster, streams) === 0, 15_000, 'streams: nothing pending');
  });
});

describe('streams on a cluster: moving in from one Redis, and a rolling restart', () => {
  let w: World;
  before(async () => {
    w = await createWorld('streams', { cluster: true, llmLatencyMs: 20 });
  });
  after(async () => {
    await w.close();
  });

  test('moving one Redis to the cluster: migrate-queue carries its waiting and pending jobs, the cluster’s subscriber finishes them', async (t) => {
    const cluster = w.cluster;
    assert.ok(cluster);
    const old = await startRedisServer({ appendonly: true });
    try {
      const oldEnv = { REDIS_URL: old.url, REDIS_CLUSTER_NODES: '', QUEUE_PARTITIONS: '1', SUBSCRIBER_MAX_CONCURRENT_JOBS: '4' };
      const done0 = await w.doneCount();
      const jobs = await seedMany(w, 10, 4);
      const tick = await w.run(['scheduler', '--once'], oldEnv);
      assert.equal(tick.code, 0, tick.stderr);
      // A subscriber of the old Redis starts four jobs and dies in the middle of them.
      w.llm.script(...Array.from({ length: 4 }, () => ({ type: 'ok' as const, latencyMs: 3000 })));
      const calls0 = w.llm.requests.length;
      const oldSub = await startSubscriber(w, oldEnv);
      await eventually(async () => w.llm.requests.length >= calls0 + 4, 20_000, 'four jobs running on the old Redis');
      assert.equal(await oldSub.stop('SIGKILL'), 'SIGKILL');
      assert.equal((await w.doneCount()) - done0, 0);
      const refused = await w.run(['migrate-queue', '--from', old.url]);
      assert.equal(refused.code, 2, 'the dead subscriber still reports to the old Redis');
      assert.match(refused.stderr, /still report/);
      const moved = await w.run(['migrate-queue', '--from', old.url, '--force']);
      assert.equal(moved.code, 0, moved.stderr);
      const result = JSON.parse(moved.stdout.split('\n').find((l) => l.startsWith('{"moved"')) ?? '{}') as { moved: number; pending: number; invalid: number; deadLetters: number };
      assert.equal(result.moved, jobs, 'every job not done');
      assert.ok(result.pending >= 4, `the four held by the dead subscriber were pending (${result.pending})`);
      assert.equal(result.invalid, 0);
      const sub = await startSubscriber(w);
      await eventually(async () => (await w.doneCount()) - done0 === jobs, 60_000, 'every moved job done on the cluster');
      assert.equal(await sub.stop(), 0);
      const left = spawnSync('redis-cli', ['-p', String(old.port), 'XLEN', `${w.channel}:stream`], { encoding: 'utf8' }).stdout.trim();
      t.diagnostic(`moved ${result.moved} (${result.pending} pending), ${left} entries left at the source`);
      assert.equal(left, '0', 'the old stream is empty');
    } finally {
      await old.destroy();
    }
  });

  test('each node restarted in turn (SIGTERM, back, cluster ok, replicas synced) while diaries keep arriving: everything converges', async (t) => {
    const cluster = w.cluster;
    assert.ok(cluster);
    const keys = keysOf(w);
    const markers0 = callsPerMarker(w.llm).size;
    const calls0 = w.llm.requests.length;
    const env = { SCHEDULER_INTERVAL: '1s' };
    const subs = [await startSubscriber(w, env), await startSubscriber(w, env)];
    const scheduler = w.spawn(['scheduler'], env);
    // A backlog to start with, then new users with due days every quarter second for 30 s (the
    // issue's load), while the six nodes restart one by one; each is picked up by a later tick.
    const users: string[] = await seedUsers(w, 25, 4);
    const started = Date.now();
    const load = (async () => {
      while (Date.now() - started < 30_000) {
        users.push(...(await seedUsers(w, 1, 4)));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const restarted: number[] = [];
    for (const node of cluster.nodes) {
      await cluster.kill(node.port, 'SIGTERM');
      await cluster.waitHealthy(30_000);
      await cluster.restart(node.port);
      await cluster.waitHealthy(30_000);
      await cluster.waitSynced(30_000);
      restarted.push(node.port);
    }
    await load;
    const loadSeconds = (Date.now() - started) / 1000;
    const jobs = users.length * 4;
    await eventually(async () => (await doneAmong(w, users)) === jobs, 90_000, `all ${jobs} jobs done after the restarts`);
    assert.equal(await scheduler.stop(), 0);
    for (const s of subs) assert.equal(await s.stop(), 0);
    const calls = w.llm.requests.length - calls0;
    t.diagnostic(`${restarted.length} nodes restarted over ${loadSeconds.toFixed(1)} s of load; ${jobs} jobs, ${calls} LLM calls; masters now ${cluster.masters().join(',')}`);
    assert.equal(restarted.length, 6);
    assert.equal(cluster.masters().length, 3);
    assert.equal(callsPerMarker(w.llm).size - markers0, jobs, 'every job reached the LLM');
    assert.equal(deadLetters(cluster, keys), 0, 'nothing dead-lettered');
    await eventually(async () => pendingEverywhere(cluster, keys) === 0, 15_000, 'nothing pending');
  });
});
