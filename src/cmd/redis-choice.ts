// Which Redis `all` uses: the configured one when it answers, else an embedded redis-server.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { redisAnswers, startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';

export async function embeddedRedisOrConfigured(
  config: Readonly<Config>,
  logger: Logger,
): Promise<{ config: Readonly<Config>; embedded: EmbeddedRedis | undefined }> {
  const url = new URL(config.redis.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 6379);
  // An explicit REDIS_URL is used as given (it may need TLS or auth that a bare PING can't show).
  if (config.redis.fromUrl || (await redisAnswers(host, port))) return { config, embedded: undefined };
  logger.info({ host, port }, 'no Redis answered; starting an embedded redis-server');
  // The configured port when it is a local one (it is free: nothing answered), so other commands find it.
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  const embedded = await startEmbeddedRedis(config.dataDir, logger, local ? port : undefined);
  return { config: Object.freeze({ ...config, redis: Object.freeze({ ...config.redis, url: embedded.url }) }), embedded };
}
