// What becomes of an entry once its handler settled it: acknowledged (done, or a duplicate), left
// pending for another delivery (abandoned), retried after its backoff, or moved to the dead letters
// after MAX_DELIVERIES. An acknowledgement that fails is tried again, so a finished job is not
// redelivered just because the connection dropped with its XACK in flight.
import type { Clock } from '../../clock.js';
import { coalesceAllBy } from '../../coalesce.js';
import type { Logger } from '../../logger.js';
import type { ConsumeOptions, Delivery, Settlement } from '../transport.js';
import type { Lease, LeaseBook } from './lease-book.js';
import { errorMessage, type StreamEntry } from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';
import type { ThrottledWarn } from './throttled-warn.js';

/** Tries to acknowledge a finished entry before leaving it to be redelivered. */
const MAX_ACK_ATTEMPTS = 10;
const ACK_RETRY_MS = 1000;

export interface SettlerOptions {
  ops: StreamOps;
  book: LeaseBook;
  logger: Logger;
  clock: Clock;
  warn: ThrottledWarn;
  maxDeliveries: number;
  onGiveUp: ConsumeOptions['onGiveUp'];
  /** True once the consumer is stopping: nothing is retried, what is left stays pending. */
  stopping(): boolean;
  /** The book changed (an entry left it): start the next and wake the reader. */
  changed(): void;
  /** An entry claimed back after its backoff, to be admitted again. */
  readmit(entry: StreamEntry, lastError: string): void;
  /** Sends one acknowledgement of many ids (the reader's, which reads ahead with it). @defaultValue ops.ack */
  ack?(ids: readonly string[]): Promise<void>;
}

export interface Settler {
  settle(lease: Lease, delivery: Delivery, s: Settlement): Promise<void>;
  /** Moves the entry to the dead letters; it leaves the book either way. */
  giveUp(lease: Lease, delivery: Delivery, error: string, deliveries: number): Promise<void>;
}

export function createSettler(options: SettlerOptions): Settler {
  const { ops, book, logger, clock, warn, maxDeliveries } = options;
  // Acknowledgements made in the same turn of the event loop go out as one XACK of many ids, and
  // share its one promise: an XACK answers for the batch, not per id.
  const send = options.ack ?? ((ids: readonly string[]) => ops.ack(ids));
  const ack = coalesceAllBy((_id: string) => '', send);

  const leave = (lease: Lease) => {
    book.release(lease);
    options.changed();
  };

  async function acknowledge(lease: Lease, attempt: number): Promise<void> {
    try {
      await ack(lease.id);
      leave(lease);
    } catch (err) {
      if (options.stopping() || attempt >= MAX_ACK_ATTEMPTS || book.get(lease.id) !== lease) {
        logger.warn({ err: errorMessage(err), entry: lease.id }, 'could not settle a stream entry; it stays pending and is delivered again');
        leave(lease);
        return;
      }
      // Typically the connection dropped with the XACK in flight: acknowledge again once it is back.
      book.wait(lease, clock.setTimeout(() => void acknowledge(lease, attempt + 1), ACK_RETRY_MS));
    }
  }

  async function retryNow(lease: Lease): Promise<void> {
    if (book.get(lease.id) !== lease || options.stopping()) return;
    try {
      const [claim] = await ops.claimOwn([lease.id]);
      if (options.stopping() || book.get(lease.id) !== lease) return leave(lease); // left pending for a peer
      if (claim?.status !== 'ok') {
        logger.info({ entry: lease.id, status: claim?.status }, 'entry due for retry was taken over or deleted');
        return leave(lease);
      }
      options.readmit(claim.entry, lease.lastError ?? '');
    } catch (err) {
      if (options.stopping()) return;
      warn('retry', { err: errorMessage(err) }, 'could not claim an entry for its retry; trying again');
      book.wait(lease, clock.setTimeout(() => void retryNow(lease), ACK_RETRY_MS));
    }
  }

  async function giveUp(lease: Lease, delivery: Delivery, error: string, deliveries: number): Promise<void> {
    try {
      if (await ops.deadLetter({ id: lease.id, data: lease.data, error, deliveries })) {
        logger.warn({ entry: lease.id, deliveries, error }, 'entry moved to the dead-letter stream');
        try {
          options.onGiveUp?.(delivery, error, { deadLettered: true });
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'onGiveUp threw');
        }
      }
    } catch (err) {
      // Still pending: its lease lapses and the recoverer meets it again.
      logger.warn({ err: errorMessage(err), entry: lease.id }, 'could not dead-letter an entry; it stays pending');
    } finally {
      leave(lease);
    }
  }

  return {
    giveUp,
    async settle(lease, delivery, s) {
      switch (s.kind) {
        case 'abandon':
          // Nobody is running the job (this run lost its claim, or the claim is still held by this
          // entry's previous run, whose subscriber died): never acknowledged. It stays pending, no
          // longer renewed, and is taken over after JOB_LEASE — by then any stale claim has expired.
          // If the claim's holder is in fact alive, its own ack of this id settles it.
          return leave(lease);
        case 'ack':
        case 'duplicate':
          // Done, or a copy of a job another entry's run holds (that entry carries it to the end).
          // Also when the lease was lost: the work is done, and the new owner's own ack is then a
          // no-op. Not aborting a job on a lost lease is deliberate: the new owner meets the job's
          // claim (held by this run) and hands its copy back.
          return acknowledge(lease, 1);
        case 'defer':
          // Leased and renewed while it waits (retry-waiting), then queued again as it was: the
          // same delivery, so the wait counts neither as a delivery nor as a failure.
          if (options.stopping() || lease.state.kind === 'lost') return leave(lease);
          book.wait(
            lease,
            clock.setTimeout(() => {
              if (options.stopping() || book.get(lease.id) !== lease || lease.state.kind !== 'retry-waiting') return;
              book.enqueue(lease.data, delivery);
              options.changed();
            }, s.delayMs),
          );
          return;
        case 'retry':
          // Stopping: leave it pending for a peer. Lost: its new owner has it.
          if (options.stopping() || lease.state.kind === 'lost') return leave(lease);
          if (delivery.deliveryCount >= maxDeliveries) return giveUp(lease, delivery, s.error, delivery.deliveryCount);
          lease.lastError = s.error;
          book.wait(lease, clock.setTimeout(() => void retryNow(lease), s.delayMs));
          return;
      }
    },
  };
}
