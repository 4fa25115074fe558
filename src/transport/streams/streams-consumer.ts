// One subscriber's side of the job stream, composed of named parts, each with start and stop:
//   lease-book.ts     every entry this consumer owns and the state it is in;
//   stream-reader.ts  pulls own pending, then new entries, as slots free up;
//   recoverer.ts      takes over entries of dead peers (XAUTOCLAIM);
//   settler.ts        acknowledges, retries, abandons, dead-letters;
//   lease-renewer.ts  keeps the leases of everything in the book;
//   janitor.ts        metrics, trimming, reaping idle consumers (given, started and stopped here).
// This module admits entries (reject, dead-letter or queue), runs them in the work pool, and
// stops the parts in the one order written down in stop() below.
import { backoffDelay, JOB_RETRY } from '../../backoff.js';
import { systemClock, type Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { parseMessage, type RejectReason } from '../../messages.js';
import type { ConsumeOptions, Consumer, Delivery, DeliveryHandler } from '../transport.js';
import { createWorkPool } from '../work-pool.js';
import type { StreamsJanitor } from './janitor.js';
import { LeaseBook } from './lease-book.js';
import { createLeaseRenewer } from './lease-renewer.js';
import { createRecoverer } from './recoverer.js';
import { createSettler } from './settler.js';
import { errorMessage, type StreamEntry } from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';
import { createStreamReader } from './stream-reader.js';
import { throttledWarn } from './throttled-warn.js';

/** How long stop waits for a recoverer, renewer or janitor round still out. */
const QUICK_STOP_MS = 250;

export interface StreamsConsumerOptions {
  ops: StreamOps;
  /** The stream's upkeep (janitor.ts), started and stopped with the consumer. */
  janitor: StreamsJanitor;
  logger: Logger;
  leaseMs: number;
  maxDeliveries: number;
  renewEveryMs: number;
  recoverEveryMs: number;
  /** @defaultValue systemClock */
  clock?: Clock;
}

export interface StreamsConsumer extends Consumer {
  /** The read loop is running and its last read succeeded. */
  ready(): boolean;
}

/** Resolves waiters at the next notify(): "something changed, look again". */
class Changes {
  #waiters: Array<() => void> = [];
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }
}

export function startStreamsConsumer(handler: DeliveryHandler, consume: ConsumeOptions, options: StreamsConsumerOptions): StreamsConsumer {
  const { ops, logger, maxDeliveries } = options;
  const clock = options.clock ?? systemClock;
  const warn = throttledWarn(logger, clock);
  const book = new LeaseBook();
  const changes = new Changes();
  let stopping = false;
  const changed = () => {
    pump();
    changes.notify();
  };

  // A handler that throws instead of settling is retried like a transient failure.
  const guarded: DeliveryHandler = async (delivery, signal) => {
    try {
      return await handler(delivery, signal);
    } catch (err) {
      logger.error({ err: errorMessage(err), entry: delivery.id }, 'delivery handler threw; the entry is retried');
      return { kind: 'retry', delayMs: backoffDelay(delivery.deliveryCount - 1, JOB_RETRY), error: errorMessage(err) };
    }
  };
  const pool = createWorkPool(guarded, consume.concurrency, (err) => logger.error({ err: errorMessage(err) }, 'stream settlement crashed'), changed);

  async function groupLost(): Promise<void> {
    try {
      await ops.ensureGroup();
      logger.warn('consumer group was missing (Redis lost its data?); recreated');
    } catch (err) {
      warn('group', { err: errorMessage(err) }, 'could not recreate the consumer group');
    }
  }

  function reject(entry: StreamEntry, reason: RejectReason, detail: string, raw: string): void {
    try {
      consume.onReject(reason, detail, raw);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'onReject threw');
    }
    // Never retried: a malformed entry is as malformed on the next delivery.
    ops.drop([entry.id]).catch((err: unknown) =>
      logger.warn({ err: errorMessage(err), entry: entry.id }, 'could not remove a rejected entry; it will be met again'),
    );
  }

  /** Takes a read or claimed entry on: reject it, dead-letter it, or queue it for a slot. */
  function admitOne(entry: StreamEntry, lastError?: string): void {
    if (entry.data === undefined) return reject(entry, 'invalid_field', 'stream entry has no data field', '');
    const parsed = parseMessage(entry.data);
    if (!parsed.ok) return reject(entry, parsed.reason, parsed.detail, entry.data);
    const delivery: Delivery = { message: parsed.message, id: entry.id, deliveryCount: entry.deliveries, exclusive: true };
    if (entry.deliveries > maxDeliveries) {
      // Its earlier deliveries all ended without a settlement (their subscribers died) or failed.
      const runs = entry.deliveries - 1;
      const lease = book.holdForDeadLetter(entry.id, entry.data);
      void settler.giveUp(lease, delivery, lastError ?? `abandoned: not acknowledged within JOB_LEASE in ${runs} deliveries`, runs);
      return;
    }
    book.enqueue(entry.data, delivery);
  }

  const admit = (entries: readonly StreamEntry[]) => {
    for (const entry of entries) admitOne(entry);
    pump();
  };

  function pump(): void {
    while (!stopping && pool.free() > 0) {
      const lease = book.startNext();
      if (!lease || lease.state.kind !== 'running') return;
      const { delivery } = lease.state;
      pool.tryRun(delivery, (s) => settler.settle(lease, delivery, s));
    }
  }

  const settler = createSettler({
    ops, book, logger, clock, warn, maxDeliveries,
    onGiveUp: consume.onGiveUp,
    stopping: () => stopping,
    changed,
    readmit: (entry, lastError) => {
      admitOne(entry, lastError);
      pump();
    },
    ack: (ids) => reader.ack(ids),
  });
  /**
   * Slots neither running nor owed to queued entries nor reserved by a claim in flight. The
   * blocking read reserves nothing: were it to, the recoverer would find no slot for as long as
   * reads block. A read and a reclaim finishing together may overshoot; the extra entries wait in
   * the book, leased. A read-ahead (non-blocking, one round trip) does reserve its slots.
   */
  const room = () => pool.free() - book.queued - recoverer.reserved();
  const recoverer = createRecoverer({
    ops, book, logger, clock, warn, leaseMs: options.leaseMs, everyMs: options.recoverEveryMs,
    room: () => pool.free() - book.queued - reader.reserved(), stopping: () => stopping, changed, admit, groupLost,
  });
  const reader = createStreamReader({
    ops, book, clock, warn, room, nextChange: () => changes.next(), admit, groupLost, stopping: () => stopping,
  });
  const renewer = createLeaseRenewer({ ops, book, logger, clock, warn, everyMs: options.renewEveryMs, changed });
  const { janitor } = options;

  renewer.start();
  recoverer.start();
  janitor.start();
  reader.start();

  let stopping$: Promise<void> | undefined;
  return {
    ready: () => reader.ready(),
    inFlight: () => pool.inFlight(),
    stop(graceMs: number) {
      stopping$ ??= (async () => {
        // The stop order, once:
        // 1. Take no more work: nothing new starts, nothing is retried.
        stopping = true;
        // 2. No more takeovers from dead peers (an XAUTOCLAIM still out is ignored once stopping,
        //    so it is not waited for long: with Redis hanging it would eat the shutdown bound).
        await recoverer.stop(QUICK_STOP_MS);
        // 3. What waits (queued, or backing off) leaves the book: it stays pending under this
        //    name and peers take it over once its lease lapses.
        for (const timer of book.releaseIdle()) clock.clearTimeout(timer);
        changes.notify();
        // 4. End the read loop (a blocked read is unblocked, or its connection dropped).
        await reader.stop();
        // 5. Running jobs finish, or are aborted after the grace; their leases are still renewed.
        const left = await pool.drain(graceMs);
        if (left > 0) logger.warn({ jobs: left }, 'jobs still running at shutdown; their entries stay pending for another subscriber');
        // 6. Then the renewals and the upkeep stop; what they still have out is not needed.
        await Promise.all([renewer.stop(QUICK_STOP_MS), janitor.stop(QUICK_STOP_MS)]);
      })();
      return stopping$;
    },
  };
}
