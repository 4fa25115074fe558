// Keeps the leases of every entry in the book: XCLAIM to itself resets their idle time, so peers'
// recoverers leave them alone, three times per lease. An entry no longer ours (taken over by a peer,
// or deleted) leaves the book; one still running is marked lost and settles without a retry.
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { periodic } from '../../periodic.js';
import type { LeaseBook } from './lease-book.js';
import { errorMessage } from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';
import type { ThrottledWarn } from './throttled-warn.js';

export interface LeaseRenewerOptions {
  ops: StreamOps;
  book: LeaseBook;
  logger: Logger;
  clock: Clock;
  warn: ThrottledWarn;
  everyMs: number;
  changed(): void;
}

export interface LeaseRenewer {
  start(): void;
  /** One round now (tests). */
  runNow(): Promise<void>;
  /** Waits at most `waitMs` for a round still out. */
  stop(waitMs?: number): Promise<void>;
}

export function createLeaseRenewer(options: LeaseRenewerOptions): LeaseRenewer {
  const { ops, book, logger, clock, warn } = options;

  async function round(): Promise<void> {
    const asked = book.renewable();
    if (asked.length === 0) return;
    let lost: string[];
    try {
      lost = await ops.renewLeases(asked.map((l) => l.id));
    } catch (err) {
      // Leases lapse only after JOB_LEASE; the next round (a third of it later) tries again.
      warn('renew', { err: errorMessage(err) }, 'could not renew stream leases');
      return;
    }
    const byId = new Map(asked.map((l) => [l.id, l]));
    for (const id of lost) {
      // Only the lease this round was about: an entry settled meanwhile and taken on again (a
      // redelivery) is a new lease.
      if (book.get(id) !== byId.get(id)) continue;
      logger.warn({ entry: id }, 'stream lease lost: the entry was taken over by another subscriber or deleted');
      clock.clearTimeout(book.lose(id).timer);
    }
    if (lost.length > 0) options.changed();
  }

  const timer = periodic(options.everyMs, round, clock);
  return { start: () => timer.start(), runNow: () => timer.runNow(), stop: (waitMs) => timer.stop(waitMs) };
}
