// The Pub/Sub transport against a real redis-server: delivery, malformed messages, the bounded
// backlog and what it sheds, in-process retries up to maxDeliveries and the give-up, and stop().
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { dailyMessage } from '../../src/messages.js';
import { messagesShed } from '../../src/metrics.js';
import { keysFor } from '../../src/transport/keys.js';
import { createPubSubTransport } from '../../src/transport/pubsub/pubsub-transport.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import type { Delivery, GiveUp, Settlement, Transport } from '../../src/transport/transport.js';
import { counterValue } from '../helpers/log-capture.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('pubsub transport', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.destroy();
  });

  async function open(options: { backlog?: number; maxDeliveries?: number } = {}): Promise<{ transport: Transport; client: RedisClient; channel: string }> {
    const keys = keysFor(`ps_${randomUUID().slice(0, 8)}`);
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    return { transport: createPubSubTransport({ client, redisUrl: redis.url, keys, logger, ...options }), client, channel: keys.channel };
  }

  test('valid messages are delivered; malformed ones are rejected once each with their reason', async () => {
    const { transport, client, channel } = await open();
    const got: Delivery[] = [];
    const rejected: string[] = [];
    const consumer = await transport.consume(async (d) => {
      got.push(d);
      return { kind: 'ack' };
    }, { concurrency: 2, onReject: (reason) => rejected.push(reason) });
    await transport.publish(dailyMessage(USER, '2024-02-29', { id: 'leap' }));
    await client.publish(channel, 'not json');
    await client.publish(channel, JSON.stringify({ type: 'weekly_summary', user_id: USER }));
    await until('deliveries', () => got.length === 1 && rejected.length === 2);
    assert.equal(got[0]?.id, 'leap');
    assert.equal(got[0]?.deliveryCount, 1);
    assert.deepEqual(rejected, ['not_json', 'unknown_type']);
    await consumer.stop(1000);
    await transport.close();
    await closeRedis(client);
  });

  test('beyond busy slots and the backlog, messages are shed and counted; the backlog runs in order', async () => {
    const { transport, client } = await open({ backlog: 3 });
    const shed0 = await counterValue(messagesShed, {});
    const release: Array<() => void> = [];
    const order: string[] = [];
    const consumer = await transport.consume(
      (d) =>
        new Promise<Settlement>((resolve) => {
          order.push(d.id);
          release.push(() => resolve({ kind: 'ack' }));
        }),
      { concurrency: 1, onReject: assert.fail },
    );
    for (let i = 1; i <= 10; i++) await transport.publish(dailyMessage(USER, `2024-03-${String(i).padStart(2, '0')}`, { id: `m${i}` }));
    await until('the first one running', () => order.length === 1);
    await sleep(100);
    assert.equal((await counterValue(messagesShed, {})) - shed0, 6, '1 running + 3 waiting, 6 shed');
    while (order.length < 4) {
      release.shift()?.();
      await sleep(20);
    }
    release.shift()?.();
    assert.deepEqual(order, ['m1', 'm2', 'm3', 'm4']);
    await consumer.stop(1000);
    await transport.close();
    await closeRedis(client);
  });

  test('a transient failure is retried in-process up to maxDeliveries, then given up (nothing keeps it)', async () => {
    const { transport, client } = await open({ maxDeliveries: 3 });
    const attempts: number[] = [];
    const gaveUp: Array<{ error: string; outcome: GiveUp; count: number }> = [];
    const consumer = await transport.consume(
      async (d) => {
        attempts.push(d.deliveryCount);
        return { kind: 'retry', delayMs: 10, error: `503 #${d.deliveryCount}` };
      },
      { concurrency: 1, onReject: assert.fail, onGiveUp: (d, error, outcome) => gaveUp.push({ error, outcome, count: d.deliveryCount }) },
    );
    await transport.publish(dailyMessage(USER, '2024-01-31'));
    await until('given up', () => gaveUp.length === 1);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(gaveUp, [{ error: '503 #3', outcome: { deadLettered: false }, count: 3 }]);
    await consumer.stop(1000);
    await transport.close();
    await closeRedis(client);
  });

  test('stop() drops what has not started, cancels pending retries and waits for what runs', async () => {
    const { transport, client } = await open();
    let finished = 0;
    const started: string[] = [];
    const consumer = await transport.consume(
      async (d) => {
        started.push(d.id);
        if (d.id === 'slow') {
          await sleep(200);
          finished++;
          return { kind: 'ack' };
        }
        return { kind: 'retry', delayMs: 60_000, error: 'later' };
      },
      { concurrency: 1, onReject: assert.fail },
    );
    await transport.publish(dailyMessage(USER, '2024-02-01', { id: 'slow' }));
    await transport.publish(dailyMessage(USER, '2024-02-02', { id: 'queued' }));
    await until('slow running', () => started.length === 1);
    await consumer.stop(5000);
    assert.equal(finished, 1, 'the running job finished within the grace');
    assert.deepEqual(started, ['slow'], 'the queued one never started');
    await transport.close();
    await closeRedis(client);
  });
});
