// Periodic upkeep of the job stream while a subscriber consumes it: queue metrics, trimming of
// entries every group has acknowledged, and removal of consumers whose process is gone.
import type { Logger } from '../logger.js';
import { deadLetters, streamLength, streamOldestPending, streamPending } from '../metrics.js';
import type { Keys } from './keys.js';
import { CLOSE_TIMEOUT_MS, type RedisClient } from './redis-connection.js';
import { settledWithin } from '../timeout.js';
import { streamsStatus } from './streams-admin.js';
import { errorMessage, reapIdleConsumers, trimAcknowledged } from './streams-commands.js';

export interface StreamsJanitorOptions {
  client: RedisClient;
  keys: Keys;
  logger: Logger;
  /** This subscriber's consumer name: never reaped by itself. */
  consumerName: string;
  /** Trimming starts once the stream is longer than this. */
  maxLen: number;
  /** Consumers with nothing pending and idle this long are removed. */
  consumerIdleMs: number;
  /** Period of one round. */
  everyMs: number;
}

export interface StreamsJanitor {
  start(): void;
  /** Stops the timer and waits for a running round. */
  stop(): Promise<void>;
  /** One round now (tests, and the first round at start). */
  runOnce(): Promise<void>;
}

export function createStreamsJanitor(options: StreamsJanitorOptions): StreamsJanitor {
  const { client, keys, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastWarn = 0;

  const round = async () => {
    try {
      const trimmed = await trimAcknowledged(client, keys, options.maxLen);
      if (trimmed > 0) logger.debug({ trimmed }, 'stream trimmed');
      const reaped = await reapIdleConsumers(client, keys, options.consumerName, options.consumerIdleMs);
      if (reaped.length > 0) logger.info({ consumers: reaped }, 'removed idle stream consumers');
      const s = await streamsStatus(client, keys);
      streamLength.set(s.length);
      streamPending.set(s.pending);
      streamOldestPending.set((s.oldestPendingIdleMs ?? 0) / 1000);
      deadLetters.set(s.deadLetters);
    } catch (err) {
      // Redis away or the group missing: the reader recovers that; say so once in a while only.
      if (Date.now() - lastWarn > 60_000) {
        lastWarn = Date.now();
        logger.warn({ err: errorMessage(err) }, 'stream maintenance failed; retrying');
      }
    }
  };

  const runOnce = () => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    runOnce,
    start() {
      timer = setInterval(() => void runOnce(), options.everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      if (running) await settledWithin(running, CLOSE_TIMEOUT_MS);
    },
  };
}
