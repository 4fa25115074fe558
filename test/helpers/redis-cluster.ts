// A real Redis Cluster for a test: six `redis-server --cluster-enabled yes` on free ports in a
// temporary directory (three masters, three replicas, a short cluster-node-timeout so a failover
// takes seconds), joined with `redis-cli --cluster create`. Nodes can be SIGKILLed and restarted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClockEnv } from './clock.js';
import { freePort } from './redis-server.js';

export interface ClusterNode {
  port: number;
  dir: string;
  proc: ChildProcess | undefined;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** `127.0.0.1:port` of every node, for REDIS_CLUSTER_NODES. */
  seeds: string;
  /** Runs redis-cli against one node (first by default) and returns its stdout. */
  cli(args: string[], port?: number): string;
  /** Ports of the nodes that are masters now. */
  masters(): number[];
  /** Stops a node with `signal` (SIGKILL by default; SIGTERM lets it shut down as an operator would). */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>;
  /** The node's cluster id (CLUSTER MYID). */
  nodeId(port: number): string;
  /** The slot ranges a master serves now, from CLUSTER SLOTS as `port` sees it. */
  slotRanges(port: number): Array<[number, number]>;
  /** Starts a killed node again (it rejoins from its nodes.conf). */
  restart(port: number): Promise<void>;
  /** Waits until every running node reports cluster_state:ok and every slot is served. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Waits until every running replica's link to its master is up (it has synced). */
  waitSynced(timeoutMs?: number): Promise<void>;
  /**
   * Moves `slots` slots from one master to another with `redis-cli --cluster reshard` (its keys
   * migrate with them), without blocking the event loop (a fake LLM may live in this process).
   */
  reshard(fromPort: number, toPort: number, slots: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface RedisClusterOptions {
  /** @defaultValue 1000 */
  nodeTimeoutMs?: number;
  /** AOF on every node. @defaultValue true */
  appendonly?: boolean;
  /** @defaultValue 'everysec' */
  appendfsync?: 'always' | 'everysec' | 'no';
}

function redisCli(args: string[], port: number): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', env: realClockEnv() });
  return r.stdout ?? '';
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const root = mkdtempSync(join(tmpdir(), 'diary-cluster-'));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const dir = join(root, String(port));
    mkdirSync(dir);
    nodes.push({ port, dir, proc: undefined });
  }
  const start = async (node: ClusterNode) => {
    node.proc = spawn(
      'redis-server',
      [
        '--port', String(node.port), '--bind', '127.0.0.1', '--dir', node.dir, '--save', '',
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000),
        '--appendonly', options.appendonly === false ? 'no' : 'yes',
        '--appendfsync', options.appendfsync ?? 'everysec',
        '--logfile', join(node.dir, 'redis.log'),
      ],
      { stdio: 'ignore', env: realClockEnv() },
    );
    await waitFor(`node ${node.port}`, () => redisCli(['PING'], node.port).trim() === 'PONG', 10_000);
  };
  const running = () => nodes.filter((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null);
  const cluster: RedisCluster = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    cli: (args, port = (running()[0] ?? nodes[0] as ClusterNode).port) => redisCli(args, port),
    masters() {
      return running()
        .filter((n) => /role:master/.test(redisCli(['INFO', 'replication'], n.port)))
        .map((n) => n.port);
    },
    async kill(port, signal = 'SIGKILL') {
      const node = nodes.find((n) => n.port === port);
      const p = node?.proc;
      if (!node || !p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      const exitedWithin = (ms: number) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          void exited.then(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });
      // Redis can refuse a SIGTERM and run on when a shutdown step fails (it logs "Errors trying to
      // shut down"): a CI run waited 16 min on such a replica. The signal is sent again every 5 s;
      // after 30 s the node is killed and the test fails with the end of its log (the node's
      // directory is gone once the cluster is closed).
      for (let tries = 0; tries < 6; tries++) {
        p.kill(signal);
        if (await exitedWithin(5000)) {
          node.proc = undefined;
          return;
        }
      }
      p.kill('SIGKILL');
      await exited;
      node.proc = undefined;
      const log = readFileSync(join(node.dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-20).join('\n');
      throw new Error(`redis cluster: node ${port} ignored ${signal} for 30 s and was killed; its log ends:\n${log}`);
    },
    nodeId: (port) => redisCli(['CLUSTER', 'MYID'], port).trim(),
    slotRanges(port) {
      // CLUSTER NODES, the node's own line ("myself"): id addr flags master ping pong epoch link slot…
      const mine = redisCli(['CLUSTER', 'NODES'], port).split('\n').find((l) => l.split(' ')[2]?.includes('myself'));
      return (mine ?? '').trim().split(' ').slice(8)
        .filter((f) => /^\d+(-\d+)?$/.test(f))
        .map((f) => {
          const [a, b] = f.split('-').map(Number) as [number, number | undefined];
          return [a, b ?? a] as [number, number];
        });
    },
    async restart(port) {
      const node = nodes.find((n) => n.port === port);
      if (node && !node.proc) await start(node);
    },
    async waitHealthy(timeoutMs = 30_000) {
      await waitFor(
        'cluster_state:ok on every node',
        () => running().every((n) => {
          const info = redisCli(['CLUSTER', 'INFO'], n.port);
          return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
        }),
        timeoutMs,
      );
    },
    async waitSynced(timeoutMs = 30_000) {
      await waitFor(
        'replicas in sync',
        () => running().filter((n) => /role:slave/.test(redisCli(['INFO', 'replication'], n.port))).every((n) => /master_link_status:up/.test(redisCli(['INFO', 'replication'], n.port))),
        timeoutMs,
      );
    },
    async reshard(fromPort, toPort, slots) {
      const args = [
        '--cluster', 'reshard', `127.0.0.1:${fromPort}`,
        '--cluster-from', cluster.nodeId(fromPort), '--cluster-to', cluster.nodeId(toPort),
        '--cluster-slots', String(slots), '--cluster-yes',
      ];
      const p = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'], env: realClockEnv() });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      p.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
      const code = await new Promise<number | null>((r) => p.once('exit', r));
      if (code !== 0) throw new Error(`redis-cli --cluster reshard failed (${code}): ${out.slice(-2000)}`);
    },
    async destroy() {
      for (const n of nodes) await cluster.kill(n.port);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) await start(n);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', env: realClockEnv() },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await cluster.waitHealthy();
    // Replicas must have synced before a test kills a master.
    await cluster.waitSynced();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
