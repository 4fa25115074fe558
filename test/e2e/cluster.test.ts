// What only a Redis Cluster shows, on a real six-node cluster (three masters, three replicas) with
// QUEUE_PARTITIONS=8: the partitions spread over every master, the ADR's plain PUBLISH reaches the
// subscribers from any node, a replica included, and a master SIGKILLed during a streams run of
// 2,000 jobs loses no published job and repeats only LLM calls of jobs held on the dead master.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { keysFor, urgentLane } from '../../src/transport/keys.js';
import { CLUSTER_PARTITIONS, callsPerMarker, createWorld, startSubscriber, type World } from './fixture.js';

/** The `total_commands_processed` of a node. */
function commandsOf(w: World, port: number): number {
  const m = /total_commands_processed:(\d+)/.exec(w.cluster?.cli(['INFO', 'stats'], port) ?? '');
  return Number(m?.[1] ?? 0);
}

/** Seeds `users` users with `days` diaries each; returns how many daily jobs that makes. */
async function seedMany(w: World, users: number, days: number): Promise<number> {
  for (let i = 0; i < users; i++) await w.seed(days);
  return users * days;
}

describe('streams on a cluster', () => {
  let w: World;
  before(async () => {
    w = await createWorld('streams', { cluster: true, llmLatencyMs: 20 });
  });
  after(async () => {
    await w.close();
  });

  test('the partitions spread over all three masters, and each master carries a share of the commands', async (t) => {
    const cluster = w.cluster;
    assert.ok(cluster);
    const masters = cluster.masters();
    assert.equal(masters.length, 3);
    const before = masters.map((port) => commandsOf(w, port));
    const jobs = await seedMany(w, 24, 2);
    const sub = await startSubscriber(w);
    const tick = await w.run(['scheduler', '--once']);
    assert.equal(tick.code, 0, tick.stderr);
    await eventually(async () => (await w.doneCount()) === jobs, 60_000, 'every job done');
    assert.equal(await sub.stop(), 0);
    const streamsPerMaster = masters.map(
      (port) => cluster.cli(['--scan', '--pattern', `${w.channel}:{p*}:stream`], port).split('\n').filter((l) => l.trim() !== '').length,
    );
    assert.equal(streamsPerMaster.reduce((a, b) => a + b, 0), 8, `eight partition streams (${streamsPerMaster})`);
    for (const n of streamsPerMaster) assert.ok(n >= 1, `every master holds a partition (${streamsPerMaster})`);
    const share = masters.map((port, i) => commandsOf(w, port) - (before[i] as number));
    const total = share.reduce((a, b) => a + b, 0);
    t.diagnostic(`partition streams per master ${streamsPerMaster.join('/')}, commands per master ${share.join('/')}`);
    for (const s of share) assert.ok(s >= total * 0.1, `every master carries at least a tenth of the commands (${share})`);
  });

  test('a master SIGKILLed during a run of 2,000 jobs: a replica takes over, every job is done, extra LLM calls at most the jobs its clients held', async (t) => {
    const cluster = w.cluster;
    assert.ok(cluster);
    const done0 = await w.doneCount();
    const calls0 = w.llm.requests.length;
    const jobs = await seedMany(w, 200, 10);
    const subs = [await startSubscriber(w), await startSubscriber(w)];
    const tick = await w.run(['scheduler', '--once']);
    assert.equal(tick.code, 0, tick.stderr);
    const results = tick.stdout.split('\n').find((l) => l.startsWith('{"daily_summary"')) ?? '{}';
    const published = (JSON.parse(results) as Record<string, { published: number }>).daily_summary?.published;
    assert.equal(published, jobs, 'the tick published every job');
    await eventually(async () => (await w.doneCount()) - done0 >= jobs / 5, 60_000, 'a fifth of the jobs done');
    const victim = cluster.masters()[0] as number;
    // Freeze the subscribers, so the entries they hold in the victim's partitions can be counted
    // exactly: only those may run twice (their claims and deliveries may not have reached the
    // replica). Every other job's claim lives on a master that stays up.
    for (const s of subs) s.proc.kill('SIGSTOP');
    const keys = keysFor(w.channel, { cluster: true, partitions: CLUSTER_PARTITIONS });
    const held = [...keys.partitions, ...urgentLane(keys).partitions]
      .map((p) => Number(/^(\d+)/.exec(cluster.cli(['XPENDING', p.stream, keys.group], victim))?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    const doneAtKill = (await w.doneCount()) - done0;
    await cluster.kill(victim);
    for (const s of subs) s.proc.kill('SIGCONT');
    await eventually(async () => cluster.masters().length === 3, 30_000, 'a replica promoted');
    await eventually(async () => (await w.doneCount()) - done0 === jobs, 120_000, 'every published job done after the failover');
    for (const s of subs) assert.equal(await s.stop(), 0);
    const calls = w.llm.requests.length - calls0;
    const dead = Number(cluster.cli(['-c', 'XLEN', keys.dead]).trim());
    t.diagnostic(`${jobs} jobs, ${calls} LLM calls (${calls - jobs} extra), master ${victim} killed with ${doneAtKill} done and ${held} entries held in its partitions, ${dead} dead letters`);
    assert.ok(doneAtKill < jobs, 'killed mid-run');
    assert.equal(dead, 0, 'nothing dead-lettered');
    assert.ok(calls >= jobs, `at least one LLM call per job (${calls})`);
    assert.ok(calls - jobs <= held, `extra LLM calls ${calls - jobs} within the ${held} entries held on the dead master`);
    const perMarker = callsPerMarker(w.llm);
    const twice = [...perMarker.values()].filter((n) => n > 1).length;
    assert.ok(twice <= held, `${twice} jobs called more than once, at most the ${held} held`);
    await cluster.restart(victim);
  });
});

describe('pubsub on a cluster', () => {
  let w: World;
  before(async () => {
    w = await createWorld('pubsub', { cluster: true });
  });
  after(async () => {
    await w.close();
  });

  test("the ADR's plain PUBLISH diary_events sent to any node, a replica included, is processed", async () => {
    const cluster = w.cluster;
    assert.ok(cluster);
    const { userId, dates } = await w.seed(6);
    const sub = await startSubscriber(w);
    const replicas = cluster.nodes.map((n) => n.port).filter((p) => !cluster.masters().includes(p));
    assert.equal(replicas.length, 3);
    cluster.nodes.forEach((node, i) => {
      const reply = cluster.cli(['PUBLISH', w.channel, JSON.stringify({ type: 'daily_summary', user_id: userId, date: dates[i] })], node.port);
      assert.match(reply, /^\d+/);
    });
    await eventually(async () => (await w.doneCount(userId)) === 6, 30_000, 'one job per node done');
    assert.equal(await sub.stop(), 0);
  });
});
