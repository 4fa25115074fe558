// Takes over entries whose lease lapsed (their subscriber died): XAUTOCLAIM of entries idle longer
// than JOB_LEASE, as many as there is room for. While a claim is in flight its slots are reserved,
// so a read finishing meanwhile leaves them free.
import type { Logger } from '../../logger.js';
import { periodic } from '../../periodic.js';
import type { Clock } from '../../clock.js';
import type { LeaseBook } from './lease-book.js';
import { errorMessage, isNoGroupError, type StreamEntry } from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';
import type { ThrottledWarn } from './throttled-warn.js';

export interface RecovererOptions {
  ops: StreamOps;
  book: LeaseBook;
  logger: Logger;
  clock: Clock;
  warn: ThrottledWarn;
  leaseMs: number;
  everyMs: number;
  /** Entries there is room for now (the reservation of a claim in flight already deducted). */
  room(): number;
  stopping(): boolean;
  changed(): void;
  admit(entries: readonly StreamEntry[]): void;
  groupLost(): Promise<void>;
}

export interface Recoverer {
  start(): void;
  /** Slots promised to the claim in flight. */
  reserved(): number;
  /** One round now (tests). */
  runNow(): Promise<void>;
  /** Waits at most `waitMs` for a round still out. */
  stop(waitMs?: number): Promise<void>;
}

/** At most this many entries per XAUTOCLAIM: a script blocks the server while it runs. */
const MAX_PER_ROUND = 100;

export function createRecoverer(options: RecovererOptions): Recoverer {
  const { ops, book, logger, warn } = options;
  let cursor = '0-0';
  let reserved = 0;

  async function round(): Promise<void> {
    const n = Math.min(options.room(), MAX_PER_ROUND);
    if (options.stopping() || n <= 0) return;
    reserved += n;
    let claimed: StreamEntry[] = [];
    try {
      const result = await ops.autoClaim(options.leaseMs, cursor, n);
      cursor = result.cursor;
      claimed = result.claimed;
      if (result.deleted.length > 0) logger.info({ entries: result.deleted }, 'pending entries no longer in the stream were acknowledged');
    } catch (err) {
      if (isNoGroupError(err)) await options.groupLost();
      else warn('recover', { err: errorMessage(err) }, 'could not reclaim idle stream entries');
    } finally {
      reserved -= n;
      options.changed();
    }
    const taken = claimed.filter((entry) => {
      // Ours already (its lease lapsed while Redis was away), or claimed during stop: leave it.
      if (book.has(entry.id) || options.stopping()) return false;
      logger.info({ entry: entry.id, deliveries: entry.deliveries }, 'took over an entry whose subscriber stopped renewing its lease');
      return true;
    });
    options.admit(taken);
  }

  const timer = periodic(options.everyMs, round, options.clock);
  return { start: () => timer.start(), reserved: () => reserved, runNow: () => timer.runNow(), stop: (waitMs) => timer.stop(waitMs) };
}
