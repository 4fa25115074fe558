// Periodic upkeep of the job stream while a subscriber consumes it: queue metrics, trimming of
// entries every group has acknowledged, and removal of consumers whose process is gone.
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { deadLetters, streamLength, streamOldestPending, streamPending } from '../../metrics.js';
import { periodic } from '../../periodic.js';
import { keysOfPartition, type Keys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { errorMessage, reapIdleConsumers, trimAcknowledged } from './stream-commands.js';
import { allPartitionsStatus } from './streams-inspector.js';
import type { ThrottledWarn } from './throttled-warn.js';

export interface StreamsJanitorOptions {
  client: RedisConn;
  keys: Keys;
  logger: Logger;
  clock: Clock;
  warn: ThrottledWarn;
  /** This subscriber's consumer name: never reaped by itself. */
  consumerName: string;
  /** Trimming starts once the stream is longer than this. */
  maxLen: number;
  /** Consumers with nothing pending and idle this long are removed. */
  consumerIdleMs: number;
  /** Period of one round. */
  everyMs: number;
  /** Sets the queue gauges (the main stream's janitor does; the urgent stream's does not). @defaultValue true */
  metrics?: boolean;
}

export interface StreamsJanitor {
  /** Starts the rounds, the first one now. */
  start(): void;
  /** Stops the rounds and waits (bounded) for a running one. */
  /** Waits at most `waitMs` for a round still out. */
  stop(waitMs?: number): Promise<void>;
}

export function createStreamsJanitor(options: StreamsJanitorOptions): StreamsJanitor {
  const { client, keys, logger } = options;

  async function round(): Promise<void> {
    try {
      // Per partition: each stream trimmed and reaped by a script on that stream alone.
      for (const partition of keys.partitions) {
        const k = keysOfPartition(keys, partition);
        const trimmed = await trimAcknowledged(client, k, options.maxLen);
        if (trimmed > 0) logger.debug({ trimmed, stream: k.stream }, 'stream trimmed');
        const reaped = await reapIdleConsumers(client, k, options.consumerName, options.consumerIdleMs);
        if (reaped.length > 0) logger.info({ consumers: reaped, stream: k.stream }, 'removed idle stream consumers');
      }
      if (options.metrics === false) return;
      const s = await allPartitionsStatus(client, keys);
      streamLength.set(s.length);
      streamPending.set(s.pending);
      streamOldestPending.set((s.oldestPendingIdleMs ?? 0) / 1000);
      deadLetters.set(s.deadLetters);
    } catch (err) {
      // Redis away or the group missing: the reader recovers that; say so once in a while only.
      options.warn('maintenance', { err: errorMessage(err) }, 'stream maintenance failed; retrying');
    }
  }

  const timer = periodic(options.everyMs, round, options.clock);
  return {
    start() {
      timer.start();
      void timer.runNow();
    },
    stop: (waitMs) => timer.stop(waitMs),
  };
}
