// Issue 21's simulation in Pub/Sub mode: the same seeded backlog and real scheduler ticks (the
// daily job with admission control and the re-announce window), publishing on a real redis-server
// channel to a fake fleet that listens on it. The fleet holds what fits in its slots and backlog
// and sheds the rest (as subscribers do), silently loses a share of the messages on top (the loss
// Pub/Sub allows: a subscriber killed with messages in its backlog), and clears a fixed number of
// jobs per simulated second. It reports its capacity as the subscribers' heartbeats would (free
// room, jobs ahead, its measured rate), without the loss report, so only the re-announce window
// brings the lost ones back: the worst case for publishes ÷ targets.
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { parseMessage } from '../../src/messages.js';
import { createFleet } from '../../src/scheduler/admission.js';
import type { ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import type { FleetCapacity } from '../../src/transport/inspector.js';
import { keysFor } from '../../src/transport/keys.js';
import { createPubSubTransport } from '../../src/transport/pubsub/pubsub-transport.js';
import { closeRedis, connectRedis } from '../../src/transport/redis-connection.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { createPrng } from '../../test/chaos/prng.js';
import { waitUntil, type BenchContext } from '../lib/common.js';
import { CHANNEL } from '../lib/world.js';
import { storeDone, targetOf, type TickRow } from './scale-fleet.js';

const logger = createLogger({ level: 'silent' });

export interface PubSubFleetShape {
  subscribers: number;
  /** SUBSCRIBER_MAX_CONCURRENT_JOBS of each. */
  slots: number;
  /** SUBSCRIBER_BACKLOG of each. */
  backlog: number;
  jobsPerSecond: number;
  /** Share of the delivered messages lost without a trace. */
  lossRate: number;
}

export interface PubSubRun {
  rows: TickRow[];
  published: number;
  /** Distinct targets published. */
  targets: number;
  shed: number;
  lost: number;
  /** Deliveries of a target already done (the cost of a re-announcement that was not needed). */
  redundant: number;
}

export async function simulatePubSub(
  ctx: BenchContext,
  opts: { db: Db; redisUrl: string; job: ScheduledJob; startMs: number; intervalMs: number; maxTicks: number; fleet: PubSubFleetShape; label: string },
): Promise<PubSubRun> {
  const keys = keysFor(CHANNEL);
  const { fleet: shape, intervalMs } = opts;
  const client = await connectRedis({ url: opts.redisUrl, role: 'bench', logger });
  const listener = await connectRedis({ url: opts.redisUrl, role: 'bench-fleet', logger });
  const transport = createPubSubTransport({ client, redisUrl: opts.redisUrl, keys, logger });
  const clock = new FakeClock(opts.startMs);
  const prng = createPrng(21).fork('pubsub-loss');
  const hold = shape.subscribers * (shape.slots + shape.backlog);
  const queue: { user: string; date: string }[] = [];
  const done = new Set<string>();
  let received = 0;
  let shed = 0;
  let lost = 0;
  let redundant = 0;
  let rate = 0;
  await listener.subscribe(keys.channel, (raw) => {
    received++;
    const parsed = parseMessage(raw);
    if (!parsed.ok || parsed.message.type !== 'daily_summary') return;
    if (queue.length >= hold) shed++;
    else if (prng.chance(shape.lossRate)) lost++;
    else queue.push({ user: parsed.message.user_id, date: parsed.message.date });
  });
  const capacity = async (): Promise<FleetCapacity> => ({
    via: 'pubsub',
    durable: false,
    room: Math.max(0, hold - queue.length),
    ahead: queue.length,
    rate,
    slots: shape.subscribers * shape.slots,
    lostAgoMs: null,
    consumed: null,
  });
  const fleet = createFleet({ inspector: { capacity }, clock });
  const rows: TickRow[] = [];
  const targets = new Set<string>();
  let published = 0;
  try {
    for (let tick = 1; tick <= opts.maxTicks; tick++) {
      const t0 = performance.now();
      const r = await opts.job.run({ db: opts.db, now: new Date(clock.now()), logger, fleet, publish: (m) => {
        targets.add(targetOf(m));
        return transport.publish(m);
      } });
      const tickMs = performance.now() - t0;
      published += r.published;
      await waitUntil(() => received >= published, { timeoutMs: 60_000, what: 'the fleet to hear every publish' });
      const row: TickRow = { tick, published: r.published, streamLength: 0, waiting: queue.length, usedMemory: 0, tickMs, cleared: 0 };
      // One interval of the fleet: the oldest first, as a subscriber's backlog runs.
      const batch = queue.splice(0, (shape.jobsPerSecond * intervalMs) / 1000);
      const fresh = batch.filter((j) => {
        const key = `${j.user} ${j.date}`;
        if (done.has(key)) {
          redundant++;
          return false;
        }
        done.add(key);
        return true;
      });
      await storeDone(opts.db, fresh.map((j) => j.user), fresh.map((j) => j.date));
      row.cleared = batch.length;
      rate = (batch.length * 1000) / intervalMs;
      await clock.advance(intervalMs);
      rows.push(row);
      ctx.log(`  scale ${opts.label} tick ${tick}: published ${r.published}, waiting ${row.waiting}, shed ${shed}, lost ${lost}, tick ${tickMs.toFixed(0)} ms, cleared ${row.cleared}`);
      if (r.found === 0 && queue.length === 0) break;
    }
  } finally {
    await transport.close();
    await closeRedis(listener);
    await closeRedis(client);
  }
  return { rows, published, targets: targets.size, shed, lost, redundant };
}
