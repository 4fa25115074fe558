// Pulls entries for free slots: this consumer's own pending entries first (left by an earlier run
// under its name, or by a read whose reply was lost), then new ones with a blocking XREADGROUP.
// Backpressure by pulling: it asks Redis only for as many entries as there is room for.
//
// Read-ahead: an acknowledgement (settler.ts) carries a non-blocking read of new entries for the
// slots it frees, so the next batch comes back in the ack's round trip instead of one later. At
// most one read of new entries is out at a time, a read-ahead or the loop's blocking read: while
// one is out the other waits, so the two never read over each other and past the bound.
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
  /** The consumer is stopping: nothing is read ahead (stop order, streams-consumer.ts). */
  stopping(): boolean;
}

export interface StreamReader {
  start(): void;
  /** Reading, and the last read succeeded. */
  ready(): boolean;
  /** Ends the read loop; a blocked read is unblocked, or its connection dropped. */
  stop(): Promise<void>;
  /**
   * Acknowledges `ids`, with a read-ahead of new entries for the slots there will be once they
   * are settled, when no other read is out; the read entries are admitted by the reader.
   */
  ack(ids: readonly string[]): Promise<void>;
  /** Slots promised to a read-ahead in flight (the recoverer leaves them). */
  reserved(): number;
}

export function createStreamReader(options: StreamReaderOptions): StreamReader {
  const { ops, book, clock, warn } = options;
  const stopped = new AbortController();
  let reading = false;
  let loop: Promise<void> | undefined;
  /** Own pending entries to read before new ones. */
  let own = true;
  /** The loop's blocking read of new entries is out. */
  let blocking = false;
  /** The read-ahead out, settled once its entries are admitted (or its failure noted). */
  let ahead: Promise<void> | undefined;
  let aheadCount = 0;
  /** Wakes the loop waiting for room once a read-ahead is over (it may have brought fewer entries than it had room for). */
  let wake: () => void = () => {};
  const aborted = new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve(), { once: true }));

  /** Slots the settling leases give back: those running (or lost while running) hold a pool slot. */
  function freedBy(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) {
      const kind = book.get(id)?.state.kind;
      if (kind === 'running' || kind === 'lost') n++;
    }
    return n;
  }

  function ack(ids: readonly string[]): Promise<void> {
    const n = options.room() + freedBy(ids);
    if (!ops.ackAndRead || stopped.signal.aborted || options.stopping() || own || blocking || ahead || n <= 0) return ops.ack(ids);
    const { acked, read } = ops.ackAndRead(ids, n);
    aheadCount = n;
    ahead = (async () => {
      try {
        const entries = await read;
        // Admitted once the acknowledged leases have left the book and their slots (a few
        // promise hops later, all within this turn), so the held bound is never overshot.
        await new Promise((resolve) => setImmediate(resolve));
        // Read while stopping: stays pending, taken over by a peer once its lease lapses.
        if (!stopped.signal.aborted) options.admit(entries);
      } catch (err) {
        // Its entries may have been delivered all the same: read own pending first.
        own = true;
        if (isNoGroupError(err)) await options.groupLost();
        else warn('read-ahead', { err: errorMessage(err) }, 'stream read-ahead failed; reading own pending next');
      } finally {
        ahead = undefined;
        aheadCount = 0;
        wake();
      }
    })();
    return acked;
  }

  async function readOwn(n: number): Promise<{ entries: StreamEntry[]; more: boolean }> {
    const pending = await ops.ownPending(book.size + n);
    const ids = pending.filter((id) => !book.has(id)).slice(0, n);
    const claims = await ops.claimOwn(ids);
    return { entries: claims.flatMap((c) => (c.status === 'ok' ? [c.entry] : [])), more: ids.length > 0 };
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped.signal.aborted) {
      if (ahead) {
        // One read of new entries at a time: what the read-ahead brings decides the room left.
        await Promise.race([ahead, aborted]);
        continue;
      }
      const n = options.room();
      if (n <= 0) {
        await Promise.race([options.nextChange(), new Promise<void>((resolve) => (wake = resolve))]);
        continue;
      }
      let entries: StreamEntry[] = [];
      try {
        if (own) ({ entries, more: own } = await readOwn(n));
        else {
          blocking = true;
          try {
            entries = await ops.readNew(n);
          } finally {
            blocking = false;
          }
        }
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
    ack,
    reserved: () => aheadCount,
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
