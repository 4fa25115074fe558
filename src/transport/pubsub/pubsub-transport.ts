// The ADR's transport: PUBLISH / SUBSCRIBE on DIARY_CHANNEL. At-most-once: the database is the
// source of truth and the scheduler republishes what is still unsummarized (guarantee 1).
//
// Backpressure: Redis disconnects a subscriber whose output buffer passes its limit (32 MB by
// default) and everything buffered is lost. So the socket is always drained into a bounded
// in-process backlog; beyond it messages are shed (counted), to be republished by the next tick.
//
// On a Redis Cluster, Pub/Sub is sharded: a job goes by SPUBLISH to its partition's shard channel
// (served by the master of that slot only, rather than broadcast to every node), and a subscriber
// SSUBSCRIBEs every partition's channel, plus the plain channel so that the ADR's
// `redis-cli -c PUBLISH diary_events {json}` sent to any node still arrives.
// The backlog has two lanes: jobs a user triggered (diary_saved, manual) are taken before the
// schedule jobs waiting beside them, and a full backlog sheds a schedule job to make room for one.
import type { Logger } from '../../logger.js';
import { isUserTriggered, parseMessage, toWire, type JobMessage } from '../../messages.js';
import { messagesShed } from '../../metrics.js';
import { isCluster } from '../cluster-connection.js';
import type { Keys } from '../keys.js';
import { CLOSE_TIMEOUT_MS, connectRedis, closeRedis, type RedisConn } from '../redis-connection.js';
import { settledWithin } from '../../timeout.js';
import type { ConsumeOptions, Consumer, Delivery, DeliveryHandler, Settlement, Transport } from '../transport.js';
import { scriptRunner } from '../scripts.js';
import { createWorkPool } from '../work-pool.js';
import { startCapacityHeartbeat } from './capacity-heartbeat.js';
import { PriorityFifo } from './fifo.js';

export interface PubSubTransportOptions {
  /** Publishing connection (shared with claims and the rate limiter; its opener closes it). */
  client: RedisConn;
  redisUrl: string;
  /** Opens the subscriber's own connection (a cluster's, say). @defaultValue a client of redisUrl */
  connect?: (role: string) => Promise<RedisConn>;
  keys: Keys;
  logger: Logger;
  /** Messages held beyond the busy slots before shedding (SUBSCRIBER_BACKLOG). @defaultValue 10000 */
  backlog?: number;
  /** In-process deliveries of a transiently failing job (MAX_DELIVERIES). @defaultValue 5 */
  maxDeliveries?: number;
  /** This subscriber's name in the fleet's capacity reports. @defaultValue a random one */
  instance?: string;
}

export function createPubSubTransport(options: PubSubTransportOptions): Transport {
  const { client, keys, logger } = options;
  const backlogLimit = options.backlog ?? 10_000;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const connect = options.connect ?? ((role: string) => connectRedis({ url: options.redisUrl, role, logger }));
  const shardChannels = keys.partitions.map((p) => p.channel);
  let subscriber: RedisConn | undefined;
  let subscribed = false;
  let localIds = 0;

  return {
    async publish(message: JobMessage) {
      if (isCluster(client)) await client.sPublish(keys.partitionOf(message.user_id).channel, toWire(message));
      else await client.publish(keys.channel, toWire(message));
    },
    isReady: () => client.isReady && (subscriber === undefined || (subscriber.isReady && subscribed)),
    async consume(handler: DeliveryHandler, opts: ConsumeOptions): Promise<Consumer> {
      const sub = await connect('subscriber');
      subscriber = sub;
      const backlog = new PriorityFifo<Delivery>();
      const retryTimers = new Set<NodeJS.Timeout>();
      let stopping = false;
      let shedSinceLog = 0;
      let completed = 0;
      const pool = createWorkPool(
        handler,
        opts.concurrency,
        (err) => logger.error({ err }, 'delivery handler crashed'),
        () => {
          completed++;
          pump();
        },
      );
      // What this pool can take, for the scheduler's admission (issue 21).
      const heartbeat = startCapacityHeartbeat({
        scripts: scriptRunner(client),
        keys,
        instance: options.instance ?? `subscriber-${Math.random().toString(36).slice(2)}`,
        logger,
        sample: () => ({
          free: pool.free(),
          room: Math.max(0, backlogLimit - backlog.length),
          ahead: backlog.length + pool.inFlight(),
          slots: opts.concurrency,
          completed,
        }),
      });

      const settle = (delivery: Delivery) => (s: Settlement) => {
        if (s.kind === 'defer' && !stopping) {
          // Its user's slots are all running: offered again later, as the same delivery.
          const timer = setTimeout(() => {
            retryTimers.delete(timer);
            offer(delivery);
          }, s.delayMs);
          retryTimers.add(timer);
          return;
        }
        if (s.kind !== 'retry' || stopping) return;
        if (delivery.deliveryCount >= maxDeliveries) {
          opts.onGiveUp?.(delivery, s.error, { deadLettered: false });
          return;
        }
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          offer({ ...delivery, deliveryCount: delivery.deliveryCount + 1 });
        }, s.delayMs);
        retryTimers.add(timer);
      };

      const pump = () => {
        while (!stopping && backlog.length > 0 && pool.free() > 0) {
          const next = backlog.shift() as Delivery;
          pool.tryRun(next, settle(next));
        }
      };

      const offer = (delivery: Delivery) => {
        if (stopping) return;
        // Work already waiting goes first: a free slot is no reason to jump the queue.
        if (backlog.length === 0 && pool.tryRun(delivery, settle(delivery))) return;
        const urgent = isUserTriggered(delivery.message);
        if (backlog.length >= backlogLimit) {
          // Full: a job a user triggered takes the place of the oldest schedule job, which the
          // scheduler republishes like any shed message.
          if (!urgent || backlog.shiftNormal() === undefined) return shed();
          shed();
        }
        backlog.push(delivery, urgent);
        pump();
      };

      const shed = () => {
        messagesShed.inc();
        heartbeat.lost();
        if (shedSinceLog++ === 0) {
          setTimeout(() => {
            logger.warn({ shed: shedSinceLog, backlog: backlogLimit }, 'subscriber backlog full; shed messages are republished by the next scheduler tick');
            shedSinceLog = 0;
          }, 1000).unref();
        }
      };

      // The listener stays synchronous and cheap so the socket is always drained.
      const listener = (raw: string) => {
        const parsed = parseMessage(raw);
        if (!parsed.ok) {
          opts.onReject(parsed.reason, parsed.detail, raw);
          return;
        }
        offer({ message: parsed.message, id: parsed.message.id ?? `local-${++localIds}`, deliveryCount: parsed.message.attempt ?? 1 });
      };

      sub.on('ready', () => {
        subscribed = true; // node-redis resubscribes on reconnect
      });
      sub.on('error', () => {
        subscribed = sub.isReady;
      });
      await sub.subscribe(keys.channel, listener);
      if (isCluster(sub)) await sub.sSubscribe(shardChannels, listener);
      subscribed = true;
      await settledWithin(heartbeat.ready, CLOSE_TIMEOUT_MS);

      return {
        inFlight: () => pool.inFlight(),
        async stop(graceMs: number) {
          stopping = true;
          subscribed = false;
          // Unstarted, retrying or aborted jobs are lost with this process: said at once, so the
          // scheduler republishes them without waiting for their window.
          await heartbeat.stop(backlog.length > 0 || retryTimers.size > 0 || pool.inFlight() > 0);
          for (const t of retryTimers) clearTimeout(t);
          if (backlog.length > 0) {
            logger.info({ dropped: backlog.length }, 'dropping unstarted Pub/Sub messages; the scheduler republishes them');
            backlog.clear();
          }
          // Bounded: with Redis unreachable the command would wait in the client's queue forever;
          // the listener drops what still arrives anyway.
          const unsubscribed = isCluster(sub) ? Promise.all([sub.unsubscribe(keys.channel), sub.sUnsubscribe(shardChannels)]) : sub.unsubscribe(keys.channel);
          await settledWithin(unsubscribed, CLOSE_TIMEOUT_MS);
          const left = await pool.drain(graceMs);
          if (left > 0) logger.warn({ jobs: left }, 'jobs still running at shutdown; the scheduler republishes them');
          await closeRedis(sub);
          subscriber = undefined;
        },
      };
    },
    async close() {
      // The publishing connection is its opener's to close.
    },
  };
}
