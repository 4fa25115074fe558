// Builds the Redis seam from the settings: the one place that opens the shared connection, picks
// the transport QUEUE_TRANSPORT names, and closes everything again in order. Whoever opens a
// connection closes it: this module the shared one, each consumer its own.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createClaimStore } from './claim-store.js';
import { createFleet } from './fleet.js';
import { keysFor } from './keys.js';
import { createLimits } from './limits.js';
import type { Messaging } from './messaging.js';
import { pubsubInspector } from './pubsub/pubsub-inspector.js';
import { createPubSubTransport } from './pubsub/pubsub-transport.js';
import { createRedisRateLimiter } from './rate-limiter.js';
import { closeRedis, connectRedis } from './redis-connection.js';
import { scriptRunner } from './scripts.js';
import { streamsInspector } from './streams/streams-inspector.js';
import { createStreamsTransport } from './streams/streams-transport.js';
import { createTickLock } from './tick-lock.js';

/** A process reports every FLEET_TTL_MS / 3 (see fleet-reporter.ts); three missed reports drop it. */
export const FLEET_TTL_MS = 15_000;

export async function openMessaging(config: Readonly<Config>, logger: Logger): Promise<Messaging> {
  const client = await connectRedis({ url: config.redis.url, role: 'main', logger });
  const keys = keysFor(config.channel);
  const scripts = scriptRunner(client);
  const claims = createClaimStore({ scripts, keys, leaseMs: config.subscriber.jobLeaseMs, logger });
  const streams = config.transport === 'streams';
  const transport = streams
    ? createStreamsTransport({
        client,
        redisUrl: config.redis.url,
        keys,
        logger,
        consumerName: config.instance,
        leaseMs: config.subscriber.jobLeaseMs,
        maxDeliveries: config.subscriber.maxDeliveries,
      })
    : createPubSubTransport({
        client,
        redisUrl: config.redis.url,
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
    where: streams ? keys.stream : keys.channel,
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
