// A Redis Cluster (REDIS_CLUSTER_NODES) behind the same face as one client (RedisConn): every
// command is routed by its first key, so the transport's commands and scripts run unchanged as long
// as each touches keys of one slot (keys.ts makes sure of that). User, password and TLS go into the
// cluster's `defaults`, which every node connection uses, not only the seeds.
import { createCluster, type RedisClusterType } from 'redis';
import { backoffDelay, RECONNECT } from '../backoff.js';
import type { Logger } from '../logger.js';
import { redisConnected, redisReconnects } from '../metrics.js';
import { RedisUnavailableError, type MessageListener, type RedisBatch, type RedisConn } from './redis-connection.js';

/** A cluster as RedisConn, plus what only a cluster has. */
export interface ClusterConn extends RedisConn {
  readonly cluster: RedisClusterType;
  /** A keyless command (WAIT) on the connection to the master that serves `key`. */
  sendFor(key: string, args: string[]): Promise<unknown>;
  sPublish(channel: string, message: string): Promise<number>;
  sSubscribe(channels: string[], listener: MessageListener): Promise<void>;
  sUnsubscribe(channels: string[]): Promise<void>;
}

const clusters = new WeakSet<RedisConn>();

export function isCluster(conn: RedisConn): conn is ClusterConn {
  return clusters.has(conn);
}

/** The key a command is routed by: the first key of the commands this system sends. */
export function firstKey(args: readonly string[]): string | undefined {
  switch (args[0]?.toUpperCase()) {
    case 'EVALSHA':
    case 'EVAL':
      return Number(args[2]) > 0 ? args[3] : undefined;
    case 'XREADGROUP':
    case 'XREAD': {
      const i = args.findIndex((a) => a.toUpperCase() === 'STREAMS');
      return i >= 0 ? args[i + 1] : undefined;
    }
    case 'XINFO':
    case 'XGROUP':
      return args[2];
    case 'PUBSUB':
      return args[1]?.toUpperCase() === 'SHARDNUMSUB' ? args[2] : undefined;
    case 'TIME':
    case 'COMMAND':
    case 'PING':
    case 'INFO':
    case 'CLIENT':
    case 'WAIT':
      return undefined;
    default:
      return args[1];
  }
}

export interface ClusterConnectionOptions {
  /** `host:port` seeds. */
  seeds: readonly string[];
  /** REDIS_URL, for user, password and TLS (rediss:). */
  url: string;
  role: string;
  logger: Logger;
  /** @defaultValue 6 */
  startAttempts?: number;
}

function seedNode(seed: string): { socket: { host: string; port: number } } {
  const i = seed.lastIndexOf(':');
  return { socket: { host: seed.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(seed.slice(i + 1)) } };
}

export async function connectCluster(options: ClusterConnectionOptions): Promise<ClusterConn> {
  const { role, logger } = options;
  const url = new URL(options.url);
  const attempts = options.startAttempts ?? 6;
  const cluster: RedisClusterType = createCluster({
    rootNodes: options.seeds.map(seedNode),
    defaults: {
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      pingInterval: 5000,
      socket: {
        connectTimeout: 5000,
        ...(url.protocol === 'rediss:' ? { tls: true as const } : {}),
        reconnectStrategy: (retries: number) => {
          redisReconnects.inc({ role });
          return backoffDelay(retries, RECONNECT);
        },
      },
    },
    // See redis-connection.ts: no per-command AbortSignal on the hot path.
    commandOptions: { timeout: 0 },
  });
  let lastLogged = 0;
  const warn = (err: Error) => {
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      logger.warn({ role, err: err.message }, 'redis cluster node unreachable; reconnecting');
    }
  };
  cluster.on('error', warn);
  cluster.on('node-error', warn);
  cluster.on('connect', () => redisConnected.set({ role }, 1));
  cluster.on('disconnect', () => redisConnected.set({ role }, 0));
  let everReady = false;
  cluster.on('node-ready', () => {
    if (everReady) logger.info({ role }, 'redis reconnected');
  });
  let lastError: Error | undefined;
  for (let i = 0; ; i++) {
    try {
      await cluster.connect();
      everReady = true;
      break;
    } catch (err) {
      lastError = err as Error;
      if (i >= attempts - 1) {
        throw new RedisUnavailableError(
          `cannot connect to the Redis Cluster at ${options.seeds.join(',')} after ${attempts} attempts: ${lastError.message || lastError.name}`,
        );
      }
      await new Promise((r) => setTimeout(r, backoffDelay(i, RECONNECT)));
    }
  }
  const send = (key: string | undefined, args: string[]) => cluster.sendCommand(key, false, args);
  const conn: ClusterConn = {
    cluster,
    get isOpen() {
      return cluster.isOpen;
    },
    get isReady() {
      return cluster.isReady;
    },
    sendCommand: (args) => send(firstKey(args), args),
    sendFor: (key, args) => send(key, args),
    multi() {
      const commands: string[][] = [];
      const batch: RedisBatch = {
        addCommand(args) {
          commands.push(args);
          return batch;
        },
        async exec() {
          const m = cluster.multi(firstKey(commands[0] ?? []));
          for (const c of commands) m.addCommand(firstKey(c), false, c);
          return (await m.exec()) as unknown[];
        },
      };
      return batch;
    },
    publish: (channel, message) => cluster.publish(channel, message),
    sPublish: (channel, message) => cluster.sPublish(channel, message),
    subscribe: (channel, listener) => cluster.subscribe(channel, listener),
    unsubscribe: (channel) => cluster.unsubscribe(channel),
    // One call per shard channel: node-redis sends a list to the first channel's node only.
    async sSubscribe(channels, listener) {
      for (const c of channels) await cluster.sSubscribe(c, listener);
    },
    async sUnsubscribe(channels) {
      for (const c of channels) await cluster.sUnsubscribe(c);
    },
    // A cluster is "ready" again whenever one of its node connections is.
    on: (event, fn) => cluster.on(event === 'ready' ? 'node-ready' : event === 'end' ? 'disconnect' : 'node-error', fn),
    off: (event, fn) => cluster.off(event === 'ready' ? 'node-ready' : event === 'end' ? 'disconnect' : 'node-error', fn),
    close: () => cluster.close(),
    destroy: () => cluster.destroy(),
  };
  clusters.add(conn);
  return conn;
}
