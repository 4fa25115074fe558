// The queue as Pub/Sub has it: a channel and who listens. Nothing is kept, so there is no depth,
// nothing pending and no dead letters.
import type { Inspector } from '../inspector.js';
import { NoDeadLettersError } from '../inspector.js';
import type { Keys } from '../keys.js';
import type { RedisClient } from '../redis-connection.js';
import { pubsubCapacity } from './pubsub-capacity.js';

export function pubsubInspector(client: RedisClient, keys: Keys): Inspector {
  return {
    async status() {
      const reply = (await client.sendCommand(['PUBSUB', 'NUMSUB', keys.channel])) as [string, number];
      return {
        transport: 'pubsub',
        where: [keys.channel],
        consumers: Number(reply[1] ?? 0),
        depth: null,
        pending: null,
        pendingPerConsumer: [],
        oldestPendingAgeMs: null,
        oldestPendingIdleMs: null,
        deadLetters: null,
      };
    },
    capacity: () => pubsubCapacity(client, keys),
    deadLetters() {
      throw new NoDeadLettersError(
        'no dead letters with QUEUE_TRANSPORT=pubsub: Pub/Sub keeps nothing, and a job given up is published again by the next scheduler tick',
      );
    },
  };
}
