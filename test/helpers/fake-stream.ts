// An in-memory job stream with one consumer group, for unit tests of the streams consumer's parts:
// entries, a pending list with owners, delivery counts and idle times on a simulated clock, the
// dead letters, blocking reads, and injectable failures. `opsFor(name)` is one consumer's StreamOps.
import type { AutoClaimResult, DeadLetterInput, OwnClaim, StreamEntry } from '../../src/transport/streams/stream-commands.js';
import type { StreamOps } from '../../src/transport/streams/stream-ops.js';
import type { FakeClock } from './fake-clock.js';

interface Pending {
  owner: string;
  deliveries: number;
  /** Clock time of the last delivery, claim or renewal. */
  touched: number;
}

type Op = 'readNew' | 'ack' | 'claimOwn' | 'renewLeases' | 'autoClaim' | 'deadLetter';

export class FakeStream {
  readonly entries = new Map<string, string | undefined>();
  readonly pending = new Map<string, Pending>();
  readonly dead: Array<DeadLetterInput & { consumer: string }> = [];
  readonly acked: string[] = [];
  #lastDelivered = 0;
  #seq = 0;
  #order: string[] = [];
  #readers = new Set<() => void>();
  #failures = new Map<Op, number>();

  constructor(
    private readonly clock: FakeClock,
    private readonly blockMs = 2000,
  ) {}

  add(data: string | undefined): string {
    const id = `${1_709_251_200_000 + ++this.#seq}-0`;
    this.entries.set(id, data);
    this.#order.push(id);
    for (const wake of [...this.#readers]) wake();
    return id;
  }

  /** The next `n` calls of `op` (any consumer) reject as if the connection dropped. */
  fail(op: Op, n = 1): void {
    this.#failures.set(op, (this.#failures.get(op) ?? 0) + n);
  }

  #maybeFail(op: Op): void {
    const n = this.#failures.get(op) ?? 0;
    if (n > 0) {
      this.#failures.set(op, n - 1);
      throw new Error(`fake ${op} failed: connection lost`);
    }
  }

  #entry(id: string, deliveries: number): StreamEntry {
    return { id, data: this.entries.get(id), deliveries };
  }

  opsFor(consumer: string): StreamOps {
    let reading: { resolve: (e: StreamEntry[]) => void; reject: (err: Error) => void } | undefined;
    const deliverNew = (count: number): StreamEntry[] => {
      const fresh = this.#order.slice(this.#lastDelivered, this.#lastDelivered + count);
      this.#lastDelivered += fresh.length;
      return fresh.map((id) => {
        this.pending.set(id, { owner: consumer, deliveries: 1, touched: this.clock.now() });
        return this.#entry(id, 1);
      });
    };
    return {
      consumer,
      readNew: (count) =>
        new Promise<StreamEntry[]>((resolve, reject) => {
          try {
            this.#maybeFail('readNew');
          } catch (err) {
            reject(err as Error);
            return;
          }
          const now = deliverNew(count);
          if (now.length > 0) return resolve(now);
          const done = (entries: StreamEntry[]) => {
            this.#readers.delete(wake);
            this.clock.clearTimeout(timer);
            reading = undefined;
            resolve(entries);
          };
          const wake = () => done(deliverNew(count));
          const timer = this.clock.setTimeout(() => done([]), this.blockMs);
          this.#readers.add(wake);
          reading = {
            resolve: done,
            reject: (err) => {
              this.#readers.delete(wake);
              this.clock.clearTimeout(timer);
              reading = undefined;
              reject(err);
            },
          };
        }),
      unblockRead: () => reading?.resolve([]),
      abortRead: () => reading?.reject(new Error('connection dropped')),
      readerReady: () => true,
      ownPending: async (count) => [...this.pending].filter(([, p]) => p.owner === consumer).map(([id]) => id).slice(0, count),
      claimOwn: async (ids) => {
        this.#maybeFail('claimOwn');
        return ids.map((id): OwnClaim => {
          const p = this.pending.get(id);
          if (!p || p.owner !== consumer) return { status: 'lost', id };
          if (!this.entries.has(id)) {
            this.pending.delete(id);
            return { status: 'deleted', id };
          }
          p.deliveries++;
          p.touched = this.clock.now();
          return { status: 'ok', entry: this.#entry(id, p.deliveries) };
        });
      },
      renewLeases: async (ids) => {
        this.#maybeFail('renewLeases');
        const lost: string[] = [];
        for (const id of ids) {
          const p = this.pending.get(id);
          if (p && p.owner === consumer && this.entries.has(id)) p.touched = this.clock.now();
          else lost.push(id);
        }
        return lost;
      },
      autoClaim: async (minIdleMs, cursor, count): Promise<AutoClaimResult> => {
        this.#maybeFail('autoClaim');
        const claimed: StreamEntry[] = [];
        const deleted: string[] = [];
        for (const [id, p] of this.pending) {
          if (claimed.length >= count) break;
          if (this.clock.now() - p.touched < minIdleMs) continue;
          if (!this.entries.has(id)) {
            this.pending.delete(id);
            deleted.push(id);
            continue;
          }
          p.owner = consumer;
          p.deliveries++;
          p.touched = this.clock.now();
          claimed.push(this.#entry(id, p.deliveries));
        }
        return { cursor, claimed, deleted };
      },
      ack: async (ids) => {
        this.#maybeFail('ack');
        for (const id of ids) {
          if (this.pending.delete(id)) this.acked.push(id);
        }
      },
      drop: async (ids) => {
        for (const id of ids) {
          this.pending.delete(id);
          this.entries.delete(id);
        }
      },
      deadLetter: async (input) => {
        this.#maybeFail('deadLetter');
        const p = this.pending.get(input.id);
        if (!p || p.owner !== consumer) return false;
        this.pending.delete(input.id);
        this.entries.delete(input.id);
        this.dead.push({ ...input, consumer });
        return true;
      },
      ensureGroup: async () => {},
    };
  }
}
