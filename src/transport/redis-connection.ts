// Redis clients for the system: checked at start (retry with backoff, then a clear failure), and
// reconnecting forever once they have worked, with the connection state in metrics.
import { createClient, type RedisClientType } from 'redis';
import { backoffDelay, RECONNECT } from '../backoff.js';
import { redactUrl } from '../config.js';
import type { Logger } from '../logger.js';
import { redisConnected, redisReconnects } from '../metrics.js';
import { settledWithin } from '../timeout.js';

export type RedisClient = RedisClientType;

/** One MULTI … EXEC; on a cluster every command's key must be of one slot. */
export interface RedisBatch {
  addCommand(args: string[]): RedisBatch;
  exec(): Promise<unknown[]>;
}

export type MessageListener = (message: string, channel: string) => unknown;

/**
 * What src/transport asks of Redis, satisfied by a node-redis client as it is and by a cluster
 * through cluster-connection.ts (which routes each command by its first key).
 */
export interface RedisConn {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  multi(): RedisBatch;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string | string[], listener: MessageListener): Promise<void>;
  unsubscribe(channel?: string | string[]): Promise<void>;
  on(event: 'ready' | 'error' | 'end', fn: () => void): unknown;
  off(event: 'ready' | 'error' | 'end', fn: () => void): unknown;
  close(): Promise<void>;
  destroy(): void;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export interface RedisConnectionOptions {
  /** redis://[user:password@]host:port or rediss:// for TLS. */
  url: string;
  /** Label for metrics and logs: publisher, subscriber, claims … */
  role: string;
  logger: Logger;
  /** Connection attempts at start before giving up. @defaultValue 6 */
  startAttempts?: number;
}


/**
 * Connects a client. Until it has been ready once, it tries `startAttempts` times and then rejects
 * with RedisUnavailableError; afterwards it reconnects forever (commands wait in the offline queue).
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  const { role, logger } = options;
  const attempts = options.startAttempts ?? 6;
  let everReady = false;
  let lastError: Error | undefined;
  const client: RedisClient = createClient({
    url: options.url,
    // node-redis arms an AbortSignal.timeout for every command by default (5s); on the hot path
    // that cost more than the rest of a job. Dead connections are found by TCP keep-alive and a
    // PING every 5s instead, and every caller bounds its own waits (jobs have JOB_TIMEOUT).
    commandOptions: { timeout: 0 },
    pingInterval: 5000,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number, cause: Error) => {
        lastError = cause;
        if (!everReady && retries >= attempts - 1) return false;
        redisReconnects.inc({ role });
        return backoffDelay(retries, RECONNECT);
      },
    },
  });
  client.on('ready', () => {
    if (everReady) logger.info({ role }, 'redis reconnected');
    everReady = true;
    redisConnected.set({ role }, 1);
  });
  client.on('end', () => redisConnected.set({ role }, 0));
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    redisConnected.set({ role }, client.isReady ? 1 : 0);
    // One line per few seconds, not one per retry, while Redis is away.
    if (everReady && Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      logger.warn({ role, err: err.message }, 'redis connection lost; reconnecting');
    }
  });
  try {
    await client.connect();
  } catch (err) {
    const cause = lastError ?? (err as Error);
    throw new RedisUnavailableError(
      `cannot connect to Redis at ${redactUrl(options.url)} after ${attempts} attempts: ${cause.message || cause.name}`,
    );
  }
  return client;
}

/** How long a close waits for pending replies before dropping the connection. */
export const CLOSE_TIMEOUT_MS = 2000;

/**
 * Closes a client: waits for pending replies while it is connected, at most `timeoutMs` (a Redis
 * that stopped answering would hold a graceful close forever), then drops the connection, which
 * rejects whatever is still waiting.
 */
export async function closeRedis(client: RedisConn, timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady || !(await settledWithin(client.close(), timeoutMs))) client.destroy();
}
