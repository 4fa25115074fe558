// Builds the Redis seam from the settings: the one place that opens the shared connection, picks
// the transport QUEUE_TRANSPORT names, and closes everything again in order. Whoever opens a
// connection closes it: this module the shared one, each consumer its own.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createClaimStore } from './claim-store.js';
import { connectCluster } from './cluster-connection.js';
import { createFleet } from './fleet.js';
import { keysFor } from './keys.js';
import { createLimits } from './limits.js';
import type { Messaging } from './messaging.js';
import { pubsubInspector } from './pubsub/pubsub-inspector.js';
import { createPubSubTransport } from './pubsub/pubsub-transport.js';
import { createRedisRateLimiter } from './rate-limiter.js';
import { closeRedis, connectRedis, type RedisConn } from './redis-connection.js';
import { scriptRunner } from './scripts.js';
import { streamsInspector } from './streams/streams-inspector.js';
import { createStreamsTransport } from './streams/streams-transport.js';
import { createTickLock } from './tick-lock.js';

/** A process reports every FLEET_TTL_MS / 3 (see fleet-reporter.ts); three missed reports drop it. */
export const FLEET_TTL_MS = 15_000;

export async function openMessaging(config: Readonly<Config>, logger: Logger): Promise<Messaging> {
  // REDIS_CLUSTER_NODES: every connection is a cluster's (user, password and TLS from REDIS_URL).
  const seeds = config.redis.clusterNodes;
  const cluster = seeds.length > 0;
  const connect = (role: string): Promise<RedisConn> =>
    cluster ? connectCluster({ seeds, url: config.redis.url, role, logger }) : connectRedis({ url: config.redis.url, role, logger });
  const client = await connect('main');
  const keys = keysFor(config.channel, { partitions: config.queuePartitions, cluster });
  const scripts = scriptRunner(client);
  const claims = createClaimStore({ scripts, keys, leaseMs: config.subscriber.jobLeaseMs, logger });
  const streams = config.transport === 'streams';
  const transport = streams
    ? createStreamsTransport({
        client,
        redisUrl: config.redis.url,
        connect,
        keys,
        logger,
        consumerName: config.instance,
        leaseMs: config.subscriber.jobLeaseMs,
        maxDeliveries: config.subscriber.maxDeliveries,
      })
    : createPubSubTransport({
        client,
        redisUrl: config.redis.url,
        connect,
        keys,
        logger,
        backlog: config.subscriber.backlog,
        maxDeliveries: config.subscriber.maxDeliveries,
        instance: config.instance,
      });
  return {
    transport,
    inspector: streams ? streamsInspector(client, keys) : pubsubInspector(client, keys),
    claims,
    tickLock: createTickLock(claims),
    keepsJobs: streams,
    where: (streams ? keys.partitions.map((p) => p.stream) : cluster ? keys.partitions.map((p) => p.channel) : [keys.channel]).join(','),
    limits: createLimits(scripts, keys),
    fleet: createFleet(scripts, keys, FLEET_TTL_MS),
    rateLimiter: (name, options) => createRedisRateLimiter({ scripts, key: keys.rateLimit(name), ...options }),
    isReady: () => transport.isReady(),
    async close() {
      await claims.close();
      await transport.close();
      await closeRedis(client);
    },
  };
}
