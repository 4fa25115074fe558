// The CLI's view of the streams transport: status, dead-letter list / replay / purge, and the
// Redis 8.2 acknowledge path falling back on servers without XACKDEL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { keysFor, type Keys } from '../../src/transport/keys.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { dlqList, dlqPurge, dlqReplay, replayData, streamsStatus } from '../../src/transport/streams/streams-inspector.js';
import { ackEntries, deadLetter, detectFeatures, ensureGroup } from '../../src/transport/streams/stream-commands.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const DATA = JSON.stringify({ type: 'daily_summary', user_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', date: '2024-01-15', attempt: 5 });

describe('streams admin', () => {
  let redis: RedisServer;
  let client: RedisClient;
  let keys: Keys;
  before(async () => {
    redis = await startRedisServer();
    client = await connectRedis({ url: redis.url, role: 'test', logger });
  });
  after(async () => {
    await closeRedis(client);
    await redis.destroy();
  });
  const fresh = () => {
    keys = keysFor(`a${randomUUID().slice(0, 8)}`);
    return keys;
  };

  /** Publishes `n` entries and has consumer `who` read them (pending), returning their ids. */
  async function pendingEntries(who: string, n: number): Promise<string[]> {
    await ensureGroup(client, keys);
    for (let i = 0; i < n; i++) await client.sendCommand(['XADD', keys.stream, '*', 'data', DATA]);
    await client.sendCommand(['XREADGROUP', 'GROUP', keys.group, who, 'COUNT', String(n), 'STREAMS', keys.stream, '>']);
    return ((await client.sendCommand(['XRANGE', keys.stream, '-', '+'])) as [string, unknown][]).map(([id]) => id);
  }

  it('reports an empty queue before anything was published', async () => {
    fresh();
    const s = await streamsStatus(client, keys);
    assert.deepEqual(
      { length: s.length, pending: s.pending, deadLetters: s.deadLetters, consumers: s.consumers, oldest: s.oldestPendingAgeMs },
      { length: 0, pending: 0, deadLetters: 0, consumers: 0, oldest: null },
    );
  });

  it('reports length, pending per consumer, oldest pending age, dead letters and consumers', async () => {
    fresh();
    const ids = await pendingEntries('worker-1', 3);
    await client.sendCommand(['XADD', keys.stream, '*', 'data', DATA]); // undelivered
    await deadLetter(client, keys, 'worker-1', { id: ids[0] as string, data: DATA, error: 'boom', deliveries: 5 });
    const s = await streamsStatus(client, keys);
    assert.equal(s.length, 3);
    assert.equal(s.pending, 2);
    assert.equal(s.deadLetters, 1);
    assert.equal(s.consumers, 1);
    assert.deepEqual(s.pendingPerConsumer.map((c) => [c.name, c.pending]), [['worker-1', 2]]);
    assert.ok(s.oldestPendingAgeMs !== null && s.oldestPendingAgeMs >= 0 && s.oldestPendingAgeMs < 10_000);
    assert.equal(s.groups[0]?.name, keys.group);
  });

  it('dead-letters only an entry its consumer still owns', async () => {
    fresh();
    const [id] = await pendingEntries('owner', 1);
    assert.equal(await deadLetter(client, keys, 'someone-else', { id: id as string, data: DATA, error: 'x', deliveries: 1 }), false);
    assert.equal((await dlqList(client, keys, 10)).length, 0);
    assert.equal(await deadLetter(client, keys, 'owner', { id: id as string, data: DATA, error: 'x', deliveries: 1 }), true);
    assert.equal(Number(await client.sendCommand(['XLEN', keys.stream])), 0);
  });

  it('lists, replays chosen ids (marked manual) and purges dead letters', async () => {
    fresh();
    const ids = await pendingEntries('w', 3);
    for (const [i, id] of ids.entries()) {
      await deadLetter(client, keys, 'w', { id, data: DATA, error: `err ${i}`, deliveries: 5 });
    }
    const dead = await dlqList(client, keys, 10);
    assert.deepEqual(dead.map((d) => [d.originalId, d.error, d.deliveries]), ids.map((id, i) => [id, `err ${i}`, 5]));
    assert.equal((await dlqList(client, keys, 2)).length, 2);

    assert.equal(await dlqReplay(client, keys, [dead[1]?.id as string, '0-1']), 1);
    const republished = (await client.sendCommand(['XRANGE', keys.stream, '-', '+'])) as [string, string[]][];
    assert.equal(republished.length, 1);
    const message = JSON.parse(republished[0]?.[1][1] ?? '{}') as Record<string, unknown>;
    assert.equal(message.trigger, 'manual');
    assert.equal(message.attempt, undefined);
    assert.equal(message.date, '2024-01-15');
    assert.deepEqual((await dlqList(client, keys, 10)).map((d) => d.id), [dead[0]?.id, dead[2]?.id]);

    assert.equal(await dlqPurge(client, keys), 2);
    assert.equal((await dlqList(client, keys, 10)).length, 0);
    assert.equal(await dlqPurge(client, keys), 0);
  });

  it('replays non-JSON data unchanged', () => {
    assert.equal(replayData('not json'), 'not json');
    assert.equal(replayData('[1]'), '[1]');
  });

  it('detects XACKDEL only where it exists, and falls back to XACK when the server refuses it', async () => {
    fresh();
    const version = String(await client.sendCommand(['INFO', 'server'])).match(/redis_version:(\d+)\.(\d+)/);
    const has82 = version !== null && (Number(version[1]) > 8 || (Number(version[1]) === 8 && Number(version[2]) >= 2));
    assert.equal((await detectFeatures(client)).ackDelete, has82);
    const [id] = await pendingEntries('w', 1);
    const after = await ackEntries(client, keys, [id as string], { ackDelete: true });
    assert.equal(after.ackDelete, has82);
    assert.equal((await streamsStatus(client, keys)).pending, 0);
  });
});
