// QUEUE_PARTITIONS > 1 on one Redis: a job goes to its user's partition stream, one consumer
// reads every partition over one blocking connection, a partition's retries end in the one
// dead-letter stream with the entry's qualified id, and status counts all partitions together.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { dailyMessage } from '../../src/messages.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { dlqList } from '../../src/transport/streams/streams-inspector.js';
import { streamsInspector } from '../../src/transport/streams/streams-inspector.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import type { Delivery, Settlement } from '../../src/transport/transport.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('partitioned streams on one Redis', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.destroy();
  });

  it('spreads users over the partitions, reads them all, dead-letters per partition, and reports them together', async () => {
    const keys = keysFor(`t${randomUUID().slice(0, 8)}`, { partitions: 8 });
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const transport = createStreamsTransport({
      client, redisUrl: redis.url, keys, logger, consumerName: 'c1', leaseMs: 30_000, maxDeliveries: 2, blockMs: 200,
    });
    const users = Array.from({ length: 40 }, () => randomUUID());
    const poison = users[0] as string;
    for (const u of users) await transport.publish(dailyMessage(u, '2024-03-01'));
    const lengths = await Promise.all(keys.partitions.map(async (p) => Number(await client.sendCommand(['XLEN', p.stream]))));
    assert.equal(lengths.reduce((a, b) => a + b, 0), 40);
    assert.ok(lengths.filter((n) => n > 0).length >= 6, `40 users over most of 8 partitions (${lengths})`);
    assert.equal(Number(await client.sendCommand(['EXISTS', `${keys.channel}:stream`])), 0, 'no unpartitioned stream');
    for (const u of users) {
      const p = keys.partitionOf(u);
      const inIt = (await client.sendCommand(['XRANGE', p.stream, '-', '+'])) as unknown[];
      assert.ok(JSON.stringify(inIt).includes(u), 'a job sits in its user’s partition');
    }

    const done = new Set<string>();
    const ids = new Set<string>();
    const consumer = await transport.consume(
      async (d: Delivery): Promise<Settlement> => {
        ids.add(d.id);
        if (d.message.user_id === poison) return { kind: 'retry', delayMs: 10, error: 'boom' };
        done.add(d.message.user_id);
        return { kind: 'ack' };
      },
      { concurrency: 3, onReject: () => assert.fail('no rejects') },
    );
    await waitFor('every good job', () => done.size === 39);
    await waitFor('the poison job dead-lettered', async () => (await dlqList(client, keys, 10)).length === 1);
    const [dead] = await dlqList(client, keys, 10);
    assert.match(dead?.originalId ?? '', new RegExp(`^${keys.partitionOf(poison).index}/\\d+-\\d+$`));
    assert.ok([...ids].every((id) => /^\d\/\d+-\d+$/.test(id)), 'delivery ids name their partition');
    const status = await streamsInspector(client, keys).status();
    assert.equal(status.where.length, 16, 'eight partitions, each with its urgent lane');
    assert.equal(status.pending, 0);
    assert.equal(status.deadLetters, 1);
    assert.equal(status.depth, 39, 'the acknowledged entries of every partition, not yet trimmed');
    await consumer.stop(1000);
    await transport.close();
    await closeRedis(client);
  });
});
