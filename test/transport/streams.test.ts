// The streams transport against a real redis-server: delivery, backpressure, leases, takeover,
// retries, dead letters, trimming, restarts, malformed entries, shutdown and a SIGKILLed consumer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/logger.js';
import { dailyMessage, type RejectReason } from '../../src/messages.js';
import { keysFor, type Keys } from '../../src/transport/keys.js';
import { closeRedis, connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { dlqList, dlqReplay } from '../../src/transport/streams/streams-inspector.js';
import { fieldMap } from '../../src/transport/streams/stream-commands.js';
import { createStreamsTransport, type StreamsTransportOptions } from '../../src/transport/streams/streams-transport.js';
import type { ConsumeOptions, Consumer, Delivery, DeliveryHandler, Settlement, Transport } from '../../src/transport/transport.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger({ level: 'silent' });
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const ACK: Settlement = { kind: 'ack' };

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function job(i: number) {
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, '0');
  return dailyMessage(USER, `2024-${month}-${day}`, { id: `job-${i}` });
}

const noReject = (reason: RejectReason, detail: string) => {
  throw new Error(`unexpected reject ${reason}: ${detail}`);
};

interface Rig {
  keys: Keys;
  admin: RedisClient;
  /** Opens a transport on a connection of its own (closed by cleanup, or destroyed by a "kill"). */
  transport(overrides?: Partial<StreamsTransportOptions>): Promise<{ transport: Transport; client: RedisClient }>;
  pending(): Promise<number>;
  pendingOf(consumer: string): Promise<number>;
  /** Starts consuming; the consumer is stopped by cleanup if the test has not stopped it. */
  consume(transport: Transport, handler: DeliveryHandler, concurrency?: number, extra?: Partial<ConsumeOptions>): Promise<Consumer>;
  cleanup(): Promise<void>;
}

async function rig(redis: RedisServer): Promise<Rig> {
  const keys = keysFor(`t${randomUUID().slice(0, 8)}`);
  const admin = await connectRedis({ url: redis.url, role: 'test', logger });
  const opened: Array<{ transport: Transport; client: RedisClient }> = [];
  const consumers: Consumer[] = [];
  const pendingSummary = async () => {
    try {
      return (await admin.sendCommand(['XPENDING', keys.stream, keys.group])) as [number, ...unknown[]];
    } catch {
      return [0] as [number];
    }
  };
  return {
    keys,
    admin,
    async transport(overrides = {}) {
      const client = await connectRedis({ url: redis.url, role: 'test', logger });
      const transport = createStreamsTransport({
        client,
        redisUrl: redis.url,
        keys,
        logger,
        consumerName: `c-${randomUUID().slice(0, 6)}`,
        leaseMs: 30_000,
        maxDeliveries: 5,
        blockMs: 200,
        ...overrides,
      });
      opened.push({ transport, client });
      return { transport, client };
    },
    pending: async () => Number((await pendingSummary())[0]),
    async pendingOf(consumer) {
      const rows = (await admin.sendCommand(['XPENDING', keys.stream, keys.group, '-', '+', '1000', consumer])) as unknown[];
      return rows.length;
    },
    async consume(transport, handler, concurrency = 4, extra = {}) {
      const consumer = await transport.consume(handler, { concurrency, onReject: noReject, ...extra });
      consumers.push(consumer);
      return consumer;
    },
    async cleanup() {
      for (const c of consumers) await c.stop(0);
      for (const o of opened) await closeRedis(o.client);
      await closeRedis(admin);
    },
  };
}

async function publishAll(transport: Transport, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) await transport.publish(job(i));
}

/** Runs a test body on a fresh rig, cleaning up (consumers stopped, connections closed) even when it fails. */
async function withRig(redis: RedisServer, body: (r: Rig) => Promise<void>): Promise<void> {
  const r = await rig(redis);
  try {
    await body(r);
  } finally {
    await r.cleanup();
  }
}

describe('streams transport', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
    // Small stream nodes, so approximate trimming (MINID ~) has whole nodes to drop in a test.
    const c = await connectRedis({ url: redis.url, role: 'test', logger });
    await c.sendCommand(['CONFIG', 'SET', 'stream-node-max-entries', '5']);
    await closeRedis(c);
  });
  after(async () => {
    await redis.destroy();
  });

  it('processes entries published before any consumer ran, then leaves nothing pending', async () => {
    await withRig(redis, async (r) => {
      const { transport: publisher } = await r.transport();
      await publishAll(publisher, 10);
      const { transport } = await r.transport();
      const seen = new Set<string>();
      const consumer = await r.consume(transport, async (d) => {
        seen.add(d.message.id ?? '');
        assert.equal(d.deliveryCount, 1);
        return ACK;
      });
      await waitFor('10 jobs', () => seen.size === 10);
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      assert.ok(transport.isReady());
      await consumer.stop(1000);
    });
  });

  it('never runs more than `concurrency` handlers and reads only as many entries as free slots', async () => {
    await withRig(redis, async (r) => {
      const name = 'pull-test';
      const { transport } = await r.transport({ consumerName: name });
      let running = 0;
      let maxRunning = 0;
      let maxPending = 0;
      let done = 0;
      const consumer = await r.consume(
        transport,
        async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          maxPending = Math.max(maxPending, await r.pendingOf(name));
          await sleep(30);
          running--;
          done++;
          return ACK;
        },
        3,
      );
      await publishAll(transport, 30);
      await waitFor('30 jobs', () => done === 30);
      assert.equal(maxRunning, 3);
      assert.ok(maxPending <= 3, `consumer held ${maxPending} entries with 3 slots`);
      await consumer.stop(1000);
    });
  });

  it('acknowledges only after the handler resolved; a dead consumer\'s entry is taken over after the lease', async () => {
    await withRig(redis, async (r) => {
      const { transport: a, client: aClient } = await r.transport({ consumerName: 'a', leaseMs: 300 });
      let resolveA: ((s: Settlement) => void) | undefined;
      const consumerA = await r.consume(
        a,
        (_d, signal) =>
          new Promise<Settlement>((resolve) => {
            resolveA = resolve;
            signal.addEventListener('abort', () => resolve({ kind: 'retry', delayMs: 0, error: 'aborted' }));
          }),
        1,
      );
      await a.publish(job(1));
      await waitFor('a started', () => resolveA !== undefined);
      await sleep(100);
      assert.equal(await r.pendingOf('a'), 1, 'not acknowledged while the handler runs');
      // "Kill" a: its shared connection goes, so its leases stop being renewed.
      aClient.destroy();
      const { transport: b } = await r.transport({ consumerName: 'b', leaseMs: 300 });
      const taken: Delivery[] = [];
      const consumerB = await r.consume(b, async (d) => {
        taken.push(d);
        return ACK;
      });
      await waitFor('b took it over', () => taken.length === 1, 5000);
      assert.equal(taken[0]?.deliveryCount, 2);
      assert.equal(taken[0]?.message.id, 'job-1');
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      await consumerB.stop(1000);
      await consumerA.stop(0);
    });
  });

  it('renews the lease of a long-running handler so no other consumer reclaims it', async () => {
    await withRig(redis, async (r) => {
      const { transport: a } = await r.transport({ consumerName: 'long-a', leaseMs: 300 });
      const { transport: b } = await r.transport({ consumerName: 'long-b', leaseMs: 300 });
      const byB: Delivery[] = [];
      let aDone: Delivery | undefined;
      const consumerA = await r.consume(a, async (d) => {
        await sleep(1500); // five leases
        aDone = d;
        return ACK;
      });
      await a.publish(job(2));
      await waitFor('a running', () => consumerA.inFlight() === 1);
      const consumerB = await r.consume(b, async (d) => {
        byB.push(d);
        return ACK;
      });
      await waitFor('a finished', () => aDone !== undefined, 5000);
      assert.equal(byB.length, 0, 'b must not reclaim an entry whose lease is renewed');
      assert.equal(aDone?.deliveryCount, 1);
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      await consumerA.stop(1000);
      await consumerB.stop(1000);
    });
  });

  it('retries with the given delay, bumping the delivery count, then succeeds', async () => {
    await withRig(redis, async (r) => {
      const { transport } = await r.transport();
      const counts: number[] = [];
      const times: number[] = [];
      const consumer = await r.consume(transport, async (d) => {
        counts.push(d.deliveryCount);
        times.push(Date.now());
        return d.deliveryCount < 3 ? { kind: 'retry', delayMs: 150, error: 'llm timeout' } : ACK;
      });
      await transport.publish(job(3));
      await waitFor('third delivery', () => counts.length === 3);
      assert.deepEqual(counts, [1, 2, 3]);
      assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 140, 'the retry waits its delay');
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      assert.equal((await dlqList(r.admin, r.keys, 10)).length, 0);
      await consumer.stop(1000);
    });
  });

  it('dead-letters an always-failing entry after maxDeliveries; dlq replay brings it back', async () => {
    await withRig(redis, async (r) => {
      const { transport } = await r.transport({ maxDeliveries: 3 });
      let failing = true;
      const attempts: Delivery[] = [];
      const gaveUp: Array<{ d: Delivery; error: string; deadLettered: boolean }> = [];
      const consumer = await r.consume(
        transport,
        async (d) => {
          attempts.push(d);
          return failing ? { kind: 'retry', delayMs: 20, error: `boom ${d.deliveryCount}` } : ACK;
        },
        2,
        { onGiveUp: (d, error, outcome) => gaveUp.push({ d, error, deadLettered: outcome.deadLettered }) },
      );
      await transport.publish(job(4));
      await waitFor('given up', () => gaveUp.length === 1);
      assert.equal(attempts.length, 3);
      assert.equal(gaveUp[0]?.error, 'boom 3');
      assert.equal(gaveUp[0]?.deadLettered, true);
      const dead = await dlqList(r.admin, r.keys, 10);
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.error, 'boom 3');
      assert.equal(dead[0]?.deliveries, 3);
      assert.equal(dead[0]?.originalId, attempts[0]?.id);
      assert.match(dead[0]?.failedAt ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(JSON.parse(dead[0]?.data ?? '{}').id, 'job-4');
      assert.equal(await r.pending(), 0);
      assert.equal(Number(await r.admin.sendCommand(['XLEN', r.keys.stream])), 0, 'removed from the job stream');

      failing = false;
      assert.equal(await dlqReplay(r.admin, r.keys, 'all'), 1);
      await waitFor('replayed and processed', () => attempts.length === 4);
      const replayed = attempts[3];
      assert.equal(replayed?.message.trigger, 'manual');
      assert.equal(replayed?.deliveryCount, 1);
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      assert.equal((await dlqList(r.admin, r.keys, 10)).length, 0);
      await consumer.stop(1000);
    });
  });

  it('acknowledges pending entries deleted from the stream when reclaiming or retrying them', async () => {
    await withRig(redis, async (r) => {
      // A dead consumer left three entries pending; two are then deleted from the stream.
      const { transport: publisher } = await r.transport();
      await publishAll(publisher, 3, 10);
      await r.admin.sendCommand(['XGROUP', 'CREATE', r.keys.stream, r.keys.group, '0', 'MKSTREAM']).catch(() => {});
      await r.admin.sendCommand(['XREADGROUP', 'GROUP', r.keys.group, 'ghost', 'COUNT', '3', 'STREAMS', r.keys.stream, '>']);
      const ids = ((await r.admin.sendCommand(['XRANGE', r.keys.stream, '-', '+'])) as [string, unknown][]).map(([id]) => id);
      assert.equal(ids.length, 3);
      await r.admin.sendCommand(['XDEL', r.keys.stream, ids[0] as string, ids[2] as string]);

      const { transport } = await r.transport({ leaseMs: 200 });
      const seen: string[] = [];
      let retryDeleted = false;
      const consumer = await r.consume(transport, async (d) => {
        seen.push(d.id);
        if (d.message.id === 'job-20') {
          // Deleted while it waits out its backoff: the retry must drop it, not crash.
          await r.admin.sendCommand(['XDEL', r.keys.stream, d.id]);
          retryDeleted = true;
          return { kind: 'retry', delayMs: 50, error: 'transient' };
        }
        return ACK;
      });
      await waitFor('survivor reclaimed', () => seen.includes(ids[1] as string), 5000);
      await transport.publish(job(20));
      await waitFor('retried entry deleted', () => retryDeleted);
      await waitFor('nothing pending', async () => (await r.pending()) === 0, 5000);
      assert.deepEqual(seen.filter((id) => ids.includes(id)), [ids[1]]);
      assert.ok(transport.isReady());
      await consumer.stop(1000);
    });
  });

  it('trims acknowledged entries but never one still pending', async () => {
    await withRig(redis, async (r) => {
      const { transport } = await r.transport({ maxLen: 5, maintenanceEveryMs: 100 });
      await publishAll(transport, 60, 100);
      const hold = new Set(['job-130', 'job-145']);
      const held: Delivery[] = [];
      let release: (() => void) | undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let acked = 0;
      const consumer = await r.consume(
        transport,
        async (d) => {
          if (hold.has(d.message.id ?? '')) {
            held.push(d);
            await released;
          }
          acked++;
          return ACK;
        },
        8,
      );
      await waitFor('58 acknowledged', () => acked === 58);
      // Everything below the oldest pending entry (the 31st) goes; it and all after it stay.
      await waitFor('trimmed', async () => Number(await r.admin.sendCommand(['XLEN', r.keys.stream])) <= 35, 5000);
      assert.equal(held.length, 2);
      for (const d of held) {
        const entry = (await r.admin.sendCommand(['XRANGE', r.keys.stream, d.id, d.id])) as unknown[];
        assert.equal(entry.length, 1, `pending entry ${d.id} was trimmed`);
      }
      assert.equal(await r.pending(), 2);
      release?.();
      await waitFor('all acknowledged', async () => acked === 60 && (await r.pending()) === 0);
      await consumer.stop(1000);
    });
  });

  it('rejects malformed entries once, then acknowledges and deletes them', async () => {
    await withRig(redis, async (r) => {
      const { transport } = await r.transport();
      const rejects: Array<{ reason: RejectReason; raw: string }> = [];
      const handled: Delivery[] = [];
      const consumer = await r.consume(
        transport,
        async (d) => {
          handled.push(d);
          return ACK;
        },
        2,
        { onReject: (reason, _detail, raw) => rejects.push({ reason, raw }) },
      );
      await r.admin.sendCommand(['XADD', r.keys.stream, '*', 'data', 'not json']);
      await r.admin.sendCommand(['XADD', r.keys.stream, '*', 'other', 'field']);
      await r.admin.sendCommand(['XADD', r.keys.stream, '*', 'data', JSON.stringify({ type: 'daily_summary', user_id: USER, date: '2024-02-30' })]);
      await transport.publish(job(30));
      await waitFor('three rejects and one job', () => rejects.length === 3 && handled.length === 1);
      assert.deepEqual(rejects.map((x) => x.reason), ['not_json', 'invalid_field', 'invalid_field']);
      assert.equal(rejects[0]?.raw, 'not json');
      await waitFor('nothing pending and rejects deleted', async () =>
        (await r.pending()) === 0 && Number(await r.admin.sendCommand(['XLEN', r.keys.stream])) <= 1,
      );
      await sleep(300);
      assert.equal(rejects.length, 3, 'a rejected entry is never delivered again');
      await consumer.stop(1000);
    });
  });

  it('stop(grace) stops reading, waits, and leaves unfinished entries pending for others', async () => {
    await withRig(redis, async (r) => {
      const { transport: a } = await r.transport({ consumerName: 'stop-a', leaseMs: 300 });
      let started = 0;
      const consumerA = await r.consume(
        a,
        (_d, signal) => {
          started++;
          return new Promise<Settlement>((resolve) =>
            signal.addEventListener('abort', () => resolve({ kind: 'retry', delayMs: 10, error: 'stopping' })),
          );
        },
        2,
      );
      await publishAll(a, 4, 40);
      await waitFor('two running', () => started === 2);
      const t0 = Date.now();
      await consumerA.stop(200);
      assert.ok(Date.now() - t0 < 1500, 'stop is bounded by the grace period and the read unblocking');
      assert.equal(started, 2, 'no new work after stop');
      assert.equal(await r.pendingOf('stop-a'), 2, 'unfinished entries stay pending');

      const { transport: b } = await r.transport({ consumerName: 'stop-b', leaseMs: 300 });
      const seen = new Set<string>();
      const consumerB = await r.consume(b, async (d) => {
        seen.add(d.message.id ?? '');
        return ACK;
      });
      await waitFor('all four processed by b', () => seen.size === 4, 5000);
      await waitFor('nothing pending', async () => (await r.pending()) === 0);
      await consumerB.stop(1000);
    });
  });

  it('removes idle consumers that hold nothing, and keeps those with pending entries', async () => {
    await withRig(redis, async (r) => {
      const { transport } = await r.transport({ consumerName: 'live', consumerIdleMs: 300, maintenanceEveryMs: 100 });
      await transport.publish(job(50));
      await r.admin.sendCommand(['XGROUP', 'CREATECONSUMER', r.keys.stream, r.keys.group, 'idle-ghost']);
      await r.admin.sendCommand(['XREADGROUP', 'GROUP', r.keys.group, 'busy-ghost', 'COUNT', '1', 'STREAMS', r.keys.stream, '>']);
      const consumer = await r.consume(transport, async () => ACK);
      const names = async () =>
        ((await r.admin.sendCommand(['XINFO', 'CONSUMERS', r.keys.stream, r.keys.group])) as unknown[]).map((c) => String(fieldMap(c).name));
      assert.ok((await names()).includes('idle-ghost'));
      await waitFor('idle ghost removed', async () => !(await names()).includes('idle-ghost'), 5000);
      assert.ok((await names()).includes('busy-ghost'), 'a consumer with pending entries is kept');
      await consumer.stop(1000);
    });
  });

  it('a consumer process killed with SIGKILL leaves its entries pending; another takes them over', async () => {
    await withRig(redis, async (r) => {
      const fixture = fileURLToPath(new URL('./fixtures/streams-consumer.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, redis.url, r.keys.channel, 'doomed', '400'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      try {
        await waitFor('child consuming', () => out.includes('consuming'), 20_000);
        const { transport: publisher } = await r.transport();
        await publishAll(publisher, 2, 60);
        await waitFor('child started both', () => (out.match(/^start /gm) ?? []).length === 2, 10_000);
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        assert.equal(await r.pendingOf('doomed'), 2, 'a killed consumer acknowledges nothing');

        const { transport } = await r.transport({ consumerName: 'heir', leaseMs: 400 });
        const taken: Delivery[] = [];
        const consumer = await r.consume(transport, async (d) => {
          taken.push(d);
          return ACK;
        });
        await waitFor('heir took both over', () => taken.length === 2, 10_000);
        assert.deepEqual(taken.map((d) => d.deliveryCount), [2, 2]);
        await waitFor('nothing pending', async () => (await r.pending()) === 0);
        await consumer.stop(1000);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
});

describe('streams transport across Redis restarts', () => {
  for (const hard of [false, true]) {
    it(`resumes by itself after Redis ${hard ? 'is SIGKILLed' : 'stops'} and restarts with AOF, keeping its group and in-flight entry`, async () => {
      const redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
      try {
        await withRig(redis, async (r) => {
          const { transport } = await r.transport({ consumerName: 'survivor', leaseMs: 2000 });
          const seen: Delivery[] = [];
          let slow: ((s: Settlement) => void) | undefined;
          const consumer = await r.consume(transport, async (d) => {
            if (d.message.id === 'job-70') return new Promise<Settlement>((resolve) => (slow = resolve));
            seen.push(d);
            return ACK;
          });
          await publishAll(transport, 3, 70);
          await waitFor('first jobs', () => seen.length === 2 && slow !== undefined);
          await redis.stop(hard);
          await sleep(300);
          await redis.start();
          slow?.(ACK); // settles across the restart
          await waitFor('ready again', () => transport.isReady(), 15_000);
          await publishAll(transport, 3, 80);
          await waitFor('jobs after the restart', () => new Set(seen.map((d) => d.message.id)).size === 5, 15_000);
          await waitFor('nothing pending', async () => (await r.pending()) === 0, 5000);
          // An XACK lost with the connection is sent again, not left to a redelivery after the lease.
          assert.deepEqual(seen.map((d) => d.deliveryCount), [1, 1, 1, 1, 1]);
          await consumer.stop(1000);
        });
      } finally {
        await redis.destroy();
      }
    });
  }

  it('starts consuming while Redis refuses writes (OOM), and processes what comes once it takes them again', async () => {
    // Chaos seed 9 (streams): a subscriber started during an OOM phase died with exit 1 on XGROUP CREATE.
    const redis = await startRedisServer();
    try {
      await withRig(redis, async (r) => {
        await r.admin.configSet({ 'maxmemory-policy': 'noeviction', maxmemory: '1' });
        const { transport } = await r.transport();
        const seen = new Set<string>();
        const consumer = await r.consume(transport, async (d) => {
          seen.add(d.message.id ?? '');
          return ACK;
        });
        await assert.rejects(publishAll(transport, 1, 60), /OOM/, 'Redis really refuses writes');
        await r.admin.configSet('maxmemory', '0');
        await publishAll(transport, 2, 61);
        await waitFor('jobs published after Redis took writes again', () => seen.has('job-61') && seen.has('job-62'), 15_000);
        await consumer.stop(1000);
      });
    } finally {
      await redis.destroy();
    }
  });

  it('recreates its group when Redis restarts without its data', async () => {
    const redis = await startRedisServer();
    try {
      await withRig(redis, async (r) => {
        const { transport } = await r.transport();
        const seen = new Set<string>();
        const consumer = await r.consume(transport, async (d) => {
          seen.add(d.message.id ?? '');
          return ACK;
        });
        await publishAll(transport, 2, 90);
        await waitFor('before restart', () => seen.size === 2);
        await redis.stop(true);
        await redis.start();
        await waitFor('ready again', () => transport.isReady(), 15_000);
        await publishAll(transport, 2, 95);
        await waitFor('after restart', () => seen.size === 4, 15_000);
        await consumer.stop(1000);
      });
    } finally {
      await redis.destroy();
    }
  });
});
