// Streams priorities on a real redis-server: a job a user triggered goes to the urgent stream,
// read by its own consumer, so it is taken while schedule entries still wait in the main stream.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { dailyMessage } from '../../src/messages.js';
import { keysFor } from '../../src/transport/keys.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { createStreamsTransport } from '../../src/transport/streams/streams-transport.js';
import type { Settlement } from '../../src/transport/transport.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const A = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const B = '16fd2706-8baf-433b-82eb-8c7fada847da';

describe('streams: the urgent stream', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.destroy();
  });

  test('a diary_saved job is taken while a backlog of schedule jobs waits, and every job is done once', async () => {
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const keys = keysFor(`prio_${randomUUID().slice(0, 8)}`);
    const transport = createStreamsTransport({ client, redisUrl: redis.url, keys, logger, consumerName: 'c1', leaseMs: 5000, maxDeliveries: 3, blockMs: 100 });
    const done: string[] = [];
    try {
      // The backlog is there before the subscriber starts.
      for (let d = 1; d <= 20; d++) await transport.publish(dailyMessage(A, `2024-03-${String(d).padStart(2, '0')}`));
      const consumer = await transport.consume(
        async (delivery): Promise<Settlement> => {
          await sleep(30); // a schedule job takes a while; one slot for the main stream
          const m = delivery.message as { trigger?: string; date: string };
          done.push(`${m.trigger}:${m.date}`);
          return { kind: 'ack' };
        },
        { concurrency: 1, onReject: () => assert.fail('no malformed entries') },
      );
      try {
        while (done.length < 2) await sleep(10);
        await transport.publish(dailyMessage(B, '2024-03-05', { trigger: 'diary_saved' }));
        while (done.length < 21) await sleep(10);
        const at = done.indexOf('diary_saved:2024-03-05');
        assert.ok(at >= 0 && at < 6, `the saved diary's job was number ${at + 1} of 21, behind the schedule backlog`);
        assert.equal(new Set(done).size, 21, 'each job once');
        assert.equal(Number(await client.sendCommand(['XLEN', keys.urgentStream])) >= 1, true, 'it travelled on the urgent stream');
      } finally {
        await consumer.stop(1000);
      }
    } finally {
      await transport.close();
      await closeRedis(client);
    }
  });
});
