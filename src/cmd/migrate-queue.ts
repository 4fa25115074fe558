// `diary-events migrate-queue --from <redis-url> [--from-partitions N] [--force]`: moves the jobs
// waiting in one Redis's job streams into the queue the settings name (REDIS_CLUSTER_NODES,
// QUEUE_PARTITIONS), for the move from one Redis to a cluster (README, "Moving a single Redis to a
// cluster"). Pub/Sub keeps no jobs in Redis, so there is nothing to move there.
import { UsageError } from '../errors/usage-error.js';
import { openMessaging } from '../runtime.js';
import { moveQueue, SourceInUseError } from '../transport/streams/queue-move.js';
import type { CommandContext } from './command.js';

export async function runMigrateQueue(ctx: CommandContext): Promise<number> {
  const { config, logger, values } = ctx;
  const from = typeof values.from === 'string' ? values.from : '';
  if (!/^rediss?:\/\//.test(from)) throw new UsageError('--from must be the old Redis as a URL (redis://host:port or rediss://…)');
  const fromPartitions = Number(typeof values['from-partitions'] === 'string' ? values['from-partitions'] : 1);
  if (!Number.isInteger(fromPartitions) || fromPartitions < 1 || fromPartitions > 1024) throw new UsageError('--from-partitions must be an integer 1–1024');
  if (config.redis.clusterNodes.length === 0 && config.redis.url === from && config.queuePartitions === fromPartitions) {
    throw new UsageError('the settings name the same Redis and QUEUE_PARTITIONS as --from: set REDIS_CLUSTER_NODES (or another QUEUE_PARTITIONS) for the destination');
  }
  const messaging = await openMessaging(config, logger);
  try {
    if (!messaging.keepsJobs) {
      process.stdout.write('QUEUE_TRANSPORT=pubsub keeps no jobs in Redis: nothing to move. Jobs subscribers held when they stopped are republished by the scheduler once their window passes.\n');
      return 0;
    }
    const result = await moveQueue({
      fromUrl: from,
      channel: config.channel,
      fromPartitions,
      publish: (m) => messaging.transport.publish(m),
      logger,
      force: values.force === true,
    });
    process.stdout.write(`${JSON.stringify({ ...result, to: messaging.where })}\n`);
    if (result.deadLetters > 0) {
      process.stderr.write(`${result.deadLetters} dead letter(s) stay on the source: list or replay them there with the old settings (dlq list | replay --all)\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof SourceInUseError) throw new UsageError(err.message);
    throw err;
  } finally {
    await messaging.close();
  }
}
