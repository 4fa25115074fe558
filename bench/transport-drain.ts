// No-op throughput of the two transports: drain 100,000 jobs through a handler that does nothing,
// concurrency 50, on a private redis-server. Streams: prefilled, then drained (what a subscriber
// meets after an outage). Pub/Sub cannot be prefilled (nobody listening = lost), so it is measured
// publishing and consuming at once, with a backlog large enough that nothing is shed.
//   node --import tsx bench/transport-drain.ts [jobs]
import { createLogger } from '../src/logger.js';
import { dailyMessage, type JobMessage } from '../src/messages.js';
import { messagesShed } from '../src/metrics.js';
import { keysFor } from '../src/transport/keys.js';
import { createPubSubTransport } from '../src/transport/pubsub/pubsub-transport.js';
import { connectRedis } from '../src/transport/redis-connection.js';
import { createStreamsTransport } from '../src/transport/streams/streams-transport.js';
import type { Transport } from '../src/transport/transport.js';
import { startRedisServer } from '../test/helpers/redis-server.js';

const JOBS = Number(process.argv[2] ?? 100_000);
const CONCURRENCY = 50;
const USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const logger = createLogger({ level: 'warn' });

function jobs(): JobMessage[] {
  return Array.from({ length: JOBS }, (_, i) => dailyMessage(USER, '2024-01-15', { id: `bench-${i}` }));
}

/** Publishes in windows of 1000 concurrent commands (node-redis pipelines them). */
async function publishAll(transport: Transport, messages: JobMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 1000) {
    await Promise.all(messages.slice(i, i + 1000).map((m) => transport.publish(m)));
  }
}

async function drain(transport: Transport, publish?: () => Promise<void>): Promise<number> {
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const t0 = performance.now();
  const consumer = await transport.consume(
    async () => {
      if (++done === JOBS) finish();
      return { kind: 'ack' };
    },
    { concurrency: CONCURRENCY, onReject: () => {} },
  );
  await publish?.();
  await finished;
  // Streams acks settle after the handler: wait until the pool is empty, i.e. all acknowledged.
  while (consumer.inFlight() > 0) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - t0) / 1000;
  await consumer.stop(5000);
  return seconds;
}

const redis = await startRedisServer();
try {
  const messages = jobs();

  const sClient = await connectRedis({ url: redis.url, role: 'bench', logger });
  const streams = createStreamsTransport({
    client: sClient, redisUrl: redis.url, keys: keysFor('bench-s'), logger,
    consumerName: 'bench', leaseMs: 30_000, maxDeliveries: 5,
  });
  let t0 = performance.now();
  await publishAll(streams, messages);
  const prefill = (performance.now() - t0) / 1000;
  const streamsDrain = await drain(streams);
  const pending = await sClient.sendCommand(['XPENDING', 'bench-s:stream', 'diary-subscribers']);
  await streams.close();

  const pClient = await connectRedis({ url: redis.url, role: 'bench', logger });
  const pubsub = createPubSubTransport({ client: pClient, redisUrl: redis.url, keys: keysFor('bench-p'), logger, backlog: JOBS });
  t0 = performance.now();
  const pubsubDrain = await drain(pubsub, () => publishAll(pubsub, messages));
  await pubsub.close();
  const shed = (await messagesShed.get()).values[0]?.value ?? 0;

  const rate = (s: number) => Math.round(JOBS / s).toLocaleString('en-US');
  console.log(`jobs: ${JOBS}, concurrency: ${CONCURRENCY}, no-op handler, redis-server local`);
  console.log(`streams prefill (XADD):            ${prefill.toFixed(2)} s  ${rate(prefill)} jobs/s`);
  console.log(`streams drain (read+ack):          ${streamsDrain.toFixed(2)} s  ${rate(streamsDrain)} jobs/s  (pending after: ${JSON.stringify(pending)})`);
  console.log(`pubsub publish+consume (no prefill): ${pubsubDrain.toFixed(2)} s  ${rate(pubsubDrain)} jobs/s  (shed: ${shed})`);
} finally {
  await redis.destroy();

}
