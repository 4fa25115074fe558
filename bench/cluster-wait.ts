// The cost of WAIT on a cluster's streams publish (issue 16), and how evenly 8 and 64 partitions
// spread commands over three masters. Run: node --import tsx bench/cluster-wait.ts
// Two cores cannot show a cluster's capacity, only its balance and the per-publish cost.
import { randomUUID } from 'node:crypto';
import { createLogger } from '../src/logger.js';
import { dailyMessage, toWire } from '../src/messages.js';
import { connectCluster } from '../src/transport/cluster-connection.js';
import { keysFor, keysOfPartition } from '../src/transport/keys.js';
import { addEntry, ensureGroup } from '../src/transport/streams/stream-commands.js';
import { createStreamsTransport } from '../src/transport/streams/streams-transport.js';
import { startRedisCluster } from '../test/helpers/redis-cluster.js';

const N = Number(process.env.BENCH_JOBS ?? 2000);
const logger = createLogger({ level: 'silent' });
const cluster = await startRedisCluster({ appendfsync: 'everysec' });
try {
  const conn = await connectCluster({ seeds: cluster.seeds.split(','), url: 'redis://127.0.0.1', role: 'bench', logger });
  const commandsPerMaster = () =>
    cluster.masters().map((port) => Number(/total_commands_processed:(\d+)/.exec(cluster.cli(['INFO', 'stats'], port))?.[1] ?? 0));
  for (const partitions of [8, 64]) {
    const keys = keysFor(`bench${partitions}`, { cluster: true, partitions });
    const transport = createStreamsTransport({ client: conn, redisUrl: '', keys, logger, consumerName: 'b', leaseMs: 30_000, maxDeliveries: 5 });
    for (const p of keys.partitions) await ensureGroup(conn, keysOfPartition(keys, p));
    const jobs = Array.from({ length: N }, () => dailyMessage(randomUUID(), '2024-03-01'));
    const row = async (label: string, publish: (m: (typeof jobs)[number]) => Promise<unknown>, concurrent: number) => {
      const before = commandsPerMaster();
      const t0 = performance.now();
      for (let i = 0; i < N; i += concurrent) await Promise.all(jobs.slice(i, i + concurrent).map(publish));
      const ms = performance.now() - t0;
      const share = commandsPerMaster().map((n, i) => n - (before[i] as number));
      const mean = share.reduce((a, b) => a + b, 0) / share.length;
      const spread = Math.max(...share.map((s) => Math.abs(s - mean) / mean)) * 100;
      console.log(`${partitions} partitions, ${label}, ${concurrent} at once: ${(ms / N).toFixed(3)} ms/publish, ${Math.round((N / ms) * 1000)}/s; commands per master ${share.join(' / ')} (max ±${spread.toFixed(1)} %)`);
    };
    const plain = (m: (typeof jobs)[number]) => addEntry(conn, keysOfPartition(keys, keys.partitionOf(m.user_id)), toWire(m));
    for (const concurrent of [1, 100]) {
      await row('XADD only', plain, concurrent);
      await row('XADD + WAIT 1', (m) => transport.publish(m), concurrent);
    }
  }
  await conn.close();
} finally {
  await cluster.destroy();
}
