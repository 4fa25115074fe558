// migrate-queue's move on one real Redis, repartitioning (1 → 8 partitions, the same code path as
// one Redis → a cluster, without a cluster's start-up): every entry not yet acknowledged — never
// delivered or pending — reaches its user's partition, acknowledged entries do not, invalid ones are
// dropped, the source ends empty, and processes still attached to the source stop the move.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, toWire, type JobMessage } from '../../src/messages.js';
import { createFleet } from '../../src/transport/fleet.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis, type RedisConn } from '../../src/transport/redis-connection.js';
import { scriptRunner } from '../../src/transport/scripts.js';
import { compareIds, moveQueue, SourceInUseError } from '../../src/transport/streams/queue-move.js';
import { ownPendingIds, readNew } from '../../src/transport/streams/stream-commands.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });

describe('moving the waiting jobs of a stream', () => {
  let redis: RedisServer;
  let client: RedisConn;
  before(async () => {
    redis = await startRedisServer();
    client = await connectRedis({ url: redis.url, role: 'test', logger });
  });
  after(async () => {
    await closeRedis(client);
    await redis.destroy();
  });

  it('moves never-delivered and pending entries into their partitions, not acknowledged ones, and empties the source', async () => {
    const channel = `mv${randomUUID().slice(0, 8)}`;
    const source = keysFor(channel);
    const jobs = Array.from({ length: 30 }, (_, i) => dailyMessage(randomUUID(), `2024-02-${String(i % 28 + 1).padStart(2, '0')}`));
    await client.sendCommand(['XGROUP', 'CREATE', source.stream, source.group, '0', 'MKSTREAM']);
    for (const m of jobs) await client.sendCommand(['XADD', source.stream, '*', 'data', toWire(m)]);
    await client.sendCommand(['XADD', source.stream, '*', 'data', 'not json']);
    // A subscriber took ten and acknowledged four of them before it stopped.
    const taken = (await readNew(client, source, 'old', 10, 10)).map((e) => e.id);
    assert.equal(taken.length, 10);
    await client.sendCommand(['XACK', source.stream, source.group, ...taken.slice(0, 4)]);
    const dest = keysFor(channel, { partitions: 8 });
    const transport = createStreamsTransport({ client, redisUrl: redis.url, keys: dest, logger, consumerName: 'new', leaseMs: 30_000, maxDeliveries: 5 });
    const published: JobMessage[] = [];
    const result = await moveQueue({
      fromUrl: redis.url, channel, fromPartitions: 1, logger,
      publish: async (m) => {
        published.push(m);
        await transport.publish(m);
      },
    });
    assert.deepEqual({ ...result, deadLetters: 0 }, { moved: 26, pending: 6, invalid: 1, deadLetters: 0, streams: 1 });
    assert.deepEqual(published.map((m) => m.user_id).sort(), jobs.slice(4).map((m) => m.user_id).sort(), 'all but the four acknowledged');
    for (const m of jobs.slice(4)) {
      const entries = JSON.stringify(await client.sendCommand(['XRANGE', dest.partitionOf(m.user_id).stream, '-', '+']));
      assert.ok(entries.includes(m.user_id), 'in its user’s partition');
    }
    assert.equal(Number(await client.sendCommand(['XLEN', source.stream])), 4, 'only the acknowledged entries stay');
    assert.deepEqual(await ownPendingIds(client, source, 'old', 100), [], 'nothing pending at the source');
    // Run again: nothing left to move.
    const again = await moveQueue({ fromUrl: redis.url, channel, fromPartitions: 1, logger, publish: (m) => transport.publish(m) });
    assert.equal(again.moved, 0);
    await transport.close();
  });

  it('refuses while processes still report to the source fleet, unless forced', async () => {
    const channel = `mv${randomUUID().slice(0, 8)}`;
    const source = keysFor(channel);
    await client.sendCommand(['XADD', source.stream, '*', 'data', toWire(dailyMessage(randomUUID(), '2024-02-01'))]);
    const zero = { processed: 0, failed: 0, rejected: 0, shed: 0 };
    await createFleet(scriptRunner(client), source, 15_000).report({
      instance: 'sub-1', role: 'subscriber', host: 'old-host', pid: 7, version: '1', concurrency: 10, inFlight: 0, totals: zero, perMinute: zero,
    });
    const moved: JobMessage[] = [];
    const options = { fromUrl: redis.url, channel, fromPartitions: 1, logger, publish: async (m: JobMessage) => void moved.push(m) };
    await assert.rejects(moveQueue(options), (err: unknown) => err instanceof SourceInUseError && /subscriber old-host\/7/.test(err.message));
    assert.equal(moved.length, 0);
    const forced = await moveQueue({ ...options, force: true });
    assert.equal(forced.moved, 1, 'without a group every entry is waiting');
  });

  it('compares stream ids numerically', () => {
    assert.equal(compareIds('9-0', '10-0'), -1);
    assert.equal(compareIds('10-2', '10-10'), -1);
    assert.equal(compareIds('10-1', '10-1'), 0);
  });
});
