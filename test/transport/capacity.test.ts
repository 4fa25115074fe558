// Issue 21's capacity reads against a real redis-server. Pub/Sub: each subscriber's work pool
// reports free slots and backlog room through a heartbeat; the inspector sums the live ones; a
// shed or a stop that drops jobs is reported as a loss; a subscriber that stops reporting drops out.
// Streams: waiting entries (undelivered + pending) against the high-water mark.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, toWire } from '../../src/messages.js';
import { keysFor } from '../../src/transport/keys.js';
import { pubsubInspector } from '../../src/transport/pubsub/pubsub-inspector.js';
import { createPubSubTransport } from '../../src/transport/pubsub/pubsub-transport.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { streamsInspector } from '../../src/transport/streams/streams-inspector.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const day = (i: number) => `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('fleet capacity', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis.destroy();
  });

  test('Pub/Sub: the heartbeats of two subscribers add up; busy slots and a full backlog leave no room; a shed is a loss', async () => {
    const keys = keysFor(`cap_${randomUUID().slice(0, 8)}`);
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const inspector = pubsubInspector(client, keys);
    assert.deepEqual(await inspector.capacity(0).then((c) => [c.room, c.lostAgoMs]), [0, null], 'nobody listens: no room');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = createPubSubTransport({ client, redisUrl: redis.url, keys, logger, backlog: 5, instance: 'a' });
    const b = createPubSubTransport({ client, redisUrl: redis.url, keys, logger, backlog: 5, instance: 'b' });
    const handler = async () => (await gate, { kind: 'ack' as const });
    const ca = await a.consume(handler, { concurrency: 2, onReject: () => {} });
    const cb = await b.consume(handler, { concurrency: 2, onReject: () => {} });
    const idle = await inspector.capacity(0);
    assert.equal(idle.room, 2 * (2 + 5), 'free slots plus backlog room of both');
    assert.equal(idle.slots, 4);
    assert.equal(idle.durable, false);
    // 20 messages: each subscriber takes 2, holds 5, sheds the other 3.
    for (let i = 0; i < 20; i++) await client.publish(keys.channel, toWire(dailyMessage(USER, day(i))));
    const full = await until('full reports', async () => {
      const c = await inspector.capacity(0);
      return c.room === 0 && c.lostAgoMs !== null ? c : undefined;
    });
    assert.equal(full.ahead, 2 * (2 + 5));
    release();
    await cb.stop(1000);
    const afterStop = await until('b leaves', async () => {
      const c = await inspector.capacity(0);
      return c.slots === 2 ? c : undefined;
    });
    assert.ok(afterStop.room <= 7);
    await ca.stop(1000);
    await closeRedis(client);
  });

  test('Pub/Sub: a stop that drops unstarted jobs reports a loss at once', async () => {
    const keys = keysFor(`cap_${randomUUID().slice(0, 8)}`);
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const inspector = pubsubInspector(client, keys);
    const t = createPubSubTransport({ client, redisUrl: redis.url, keys, logger, backlog: 100, instance: 'solo' });
    const c = await t.consume(() => new Promise(() => {}), { concurrency: 1, onReject: () => {} });
    for (let i = 0; i < 3; i++) await client.publish(keys.channel, toWire(dailyMessage(USER, day(i))));
    await until('queued', async () => ((await inspector.capacity(0)).ahead === 3 ? true : undefined));
    assert.equal((await inspector.capacity(0)).lostAgoMs, null);
    await c.stop(50);
    const gone = await inspector.capacity(0);
    assert.notEqual(gone.lostAgoMs, null, 'the loss is reported');
    assert.equal(gone.slots, 0, 'its report is gone');
    await closeRedis(client);
  });

  test('streams: waiting = undelivered + pending, room = mark − waiting', async () => {
    const keys = keysFor(`cap_${randomUUID().slice(0, 8)}`);
    const client = await connectRedis({ url: redis.url, role: 'test', logger });
    const inspector = streamsInspector(client, keys);
    assert.equal((await inspector.capacity(100)).room, 100);
    await client.sendCommand(['XGROUP', 'CREATE', keys.stream, keys.group, '0', 'MKSTREAM']);
    for (let i = 0; i < 30; i++) await client.sendCommand(['XADD', keys.stream, '*', 'data', toWire(dailyMessage(USER, day(i)))]);
    await client.sendCommand(['XREADGROUP', 'GROUP', keys.group, 'c1', 'COUNT', '10', 'STREAMS', keys.stream, '>']);
    const cap = await inspector.capacity(100);
    assert.equal(cap.ahead, 30, '20 undelivered + 10 pending');
    assert.equal(cap.room, 70);
    assert.equal(cap.consumed, 10);
    assert.equal(cap.durable, true);
    assert.equal((await inspector.capacity(20)).room, 0, 'never negative');
    await closeRedis(client);
  });
});
