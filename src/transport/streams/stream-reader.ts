// Pulls entries for free slots: this consumer's own pending entries first (left by an earlier run
// under its name, or by a read whose reply was lost), then new ones with a blocking XREADGROUP.
// Backpressure by pulling: it asks Redis only for as many entries as there is room for.
import { RECONNECT, backoffDelay } from '../../backoff.js';
import { sleep, type Clock } from '../../clock.js';
import { settledWithin } from '../../timeout.js';
import type { LeaseBook } from './lease-book.js';
import { errorMessage, isNoGroupError, type StreamEntry } from './stream-commands.js';
import type { StreamOps } from './stream-ops.js';
import type { ThrottledWarn } from './throttled-warn.js';

/** How long stop() waits for CLIENT UNBLOCK to end a blocked read before dropping the reader. */
export const UNBLOCK_WAIT_MS = 1000;

export interface StreamReaderOptions {
  ops: StreamOps;
  book: LeaseBook;
  clock: Clock;
  warn: ThrottledWarn;
  /** Entries there is room for now. */
  room(): number;
  /** Resolves at the next change of room (a slot freed, an entry left the book). */
  nextChange(): Promise<void>;
  admit(entries: readonly StreamEntry[]): void;
  /** The consumer group is gone: create it again. */
  groupLost(): Promise<void>;
}

export interface StreamReader {
  start(): void;
  /** Reading, and the last read succeeded. */
  ready(): boolean;
  /** Ends the read loop; a blocked read is unblocked, or its connection dropped. */
  stop(): Promise<void>;
}

export function createStreamReader(options: StreamReaderOptions): StreamReader {
  const { ops, book, clock, warn } = options;
  const stopped = new AbortController();
  let reading = false;
  let loop: Promise<void> | undefined;

  async function readOwn(n: number): Promise<{ entries: StreamEntry[]; more: boolean }> {
    const pending = await ops.ownPending(book.size + n);
    const ids = pending.filter((id) => !book.has(id)).slice(0, n);
    const claims = await ops.claimOwn(ids);
    return { entries: claims.flatMap((c) => (c.status === 'ok' ? [c.entry] : [])), more: ids.length > 0 };
  }

  async function run(): Promise<void> {
    let own = true;
    let failures = 0;
    while (!stopped.signal.aborted) {
      const n = options.room();
      if (n <= 0) {
        await options.nextChange();
        continue;
      }
      let entries: StreamEntry[] = [];
      try {
        if (own) ({ entries, more: own } = await readOwn(n));
        else entries = await ops.readNew(n);
        reading = true;
        failures = 0;
      } catch (err) {
        reading = false;
        own = true; // a read may have been delivered whose reply was lost
        if (stopped.signal.aborted) break;
        if (isNoGroupError(err)) await options.groupLost();
        else {
          warn('read', { err: errorMessage(err) }, 'stream read failed; retrying');
          await sleep(backoffDelay(failures++, RECONNECT), stopped.signal, clock).catch(() => {});
        }
      }
      // Read while stopping: stays pending, taken over by a peer once its lease lapses.
      if (stopped.signal.aborted) break;
      options.admit(entries);
    }
    reading = false;
  }

  return {
    start() {
      loop ??= run().catch((err: unknown) => {
        reading = false; // readiness reports it
        warn('crash', { err: errorMessage(err) }, 'stream read loop crashed');
      });
    },
    ready: () => reading && ops.readerReady(),
    async stop() {
      stopped.abort();
      if (!loop) return;
      // Wake a blocked XREADGROUP now rather than after its block time; repeated in case it had not
      // reached the server yet.
      ops.unblockRead();
      const again = setInterval(() => ops.unblockRead(), 100);
      try {
        if (!(await settledWithin(loop, UNBLOCK_WAIT_MS, clock))) {
          // Redis does not answer: dropping the reader's connection rejects the blocked read.
          // Whatever it may have delivered meanwhile is pending under this name, for a peer.
          ops.abortRead();
          await loop;
        }
      } finally {
        clearInterval(again);
      }
    },
  };
}
