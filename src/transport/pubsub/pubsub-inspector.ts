// The queue as Pub/Sub has it: a channel and who listens. Nothing is kept, so there is no depth,
// nothing pending and no dead letters.
import type { Inspector } from '../inspector.js';
import { NoDeadLettersError } from '../inspector.js';
import { isCluster } from '../cluster-connection.js';
import type { Keys, PartitionKeys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { pubsubCapacity } from './pubsub-capacity.js';

export function pubsubInspector(client: RedisConn, keys: Keys): Inspector {
  return {
    async status() {
      // On a cluster NUMSUB counts one node's subscribers only; every subscriber listens on every
      // shard channel, so the first partition's SHARDNUMSUB (asked of its master) counts them all.
      const cluster = isCluster(client);
      const first = (keys.partitions[0] as PartitionKeys).channel;
      const reply = (await client.sendCommand(cluster ? ['PUBSUB', 'SHARDNUMSUB', first] : ['PUBSUB', 'NUMSUB', keys.channel])) as [string, number];
      return {
        transport: 'pubsub',
        where: cluster ? [keys.channel, ...keys.partitions.map((p) => p.channel)] : [keys.channel],
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
