// Every stream entry this subscriber owns, from the moment it is read or claimed until it is
// settled, with the state it is in. The lease renewer renews every entry in the book that is not
// lost, so no peer takes over an entry this process still means to run.
//
//   (read or claimed) ──▶ queued ──▶ running ──▶ (settled: out of the book)
//                           │           │  ▲
//                           │           ▼  │ (backoff over, claimed again)
//                           │      retry-waiting
//                           ▼           ▼
//        (lost, or stopping: out of the book; the entry stays pending for a peer)
//   running ──(lost: taken over, or deleted)──▶ lost ──▶ (settled without a retry)
//   (delivered too often) ──▶ dead-lettering ──▶ (moved to the dead letters: out of the book)
import type { TimerHandle } from '../../clock.js';
import type { Delivery } from '../transport.js';

export type LeaseState =
  /** Waiting for a free slot. */
  | { kind: 'queued'; delivery: Delivery }
  /** Its handler runs. */
  | { kind: 'running'; delivery: Delivery }
  /** Waiting out a retry backoff (or the next try of a failed acknowledgement). */
  | { kind: 'retry-waiting'; timer: TimerHandle }
  /** Delivered too often already: being moved to the dead letters (still leased meanwhile). */
  | { kind: 'dead-lettering' }
  /** Taken over by a peer or deleted while its handler ran: settled without a retry. */
  | { kind: 'lost' };

export interface Lease {
  readonly id: string;
  /** The raw `data` field, kept verbatim for the dead letters. */
  readonly data: string;
  state: LeaseState;
  /** The last failure, for the dead letter if it comes to that. */
  lastError?: string;
}

export class LeaseBook {
  readonly #leases = new Map<string, Lease>();
  readonly #queue: Lease[] = [];

  get size(): number {
    return this.#leases.size;
  }

  /** Entries waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  get(id: string): Lease | undefined {
    return this.#leases.get(id);
  }

  has(id: string): boolean {
    return this.#leases.has(id);
  }

  /** Leases to renew: every one not lost. */
  renewable(): Lease[] {
    return [...this.#leases.values()].filter((l) => l.state.kind !== 'lost');
  }

  /** Takes a delivery on, or queues again the lease it already has (after a retry's backoff). */
  enqueue(data: string, delivery: Delivery): Lease {
    const lease = this.#leases.get(delivery.id) ?? { id: delivery.id, data, state: { kind: 'queued', delivery } };
    lease.state = { kind: 'queued', delivery };
    this.#leases.set(delivery.id, lease);
    this.#queue.push(lease);
    return lease;
  }

  /** Holds an entry while it is moved to the dead letters. */
  holdForDeadLetter(id: string, data: string): Lease {
    const lease = this.#leases.get(id) ?? { id, data, state: { kind: 'dead-lettering' } };
    lease.state = { kind: 'dead-lettering' };
    this.#leases.set(id, lease);
    return lease;
  }

  /** The next queued lease, now running; undefined when none waits. */
  startNext(): Lease | undefined {
    const lease = this.#queue.shift();
    if (!lease) return undefined;
    if (lease.state.kind !== 'queued') throw new Error(`lease ${lease.id}: cannot start from ${lease.state.kind}`);
    lease.state = { kind: 'running', delivery: lease.state.delivery };
    return lease;
  }

  wait(lease: Lease, timer: TimerHandle): void {
    lease.state = { kind: 'retry-waiting', timer };
  }

  /**
   * The entry is no longer this consumer's. Not running: out of the book now (with the timer it
   * waited on, returned for the caller to clear). Running: marked lost, out when it settles.
   */
  lose(id: string): { removed: boolean; timer?: TimerHandle } {
    const lease = this.#leases.get(id);
    if (!lease || lease.state.kind === 'lost') return { removed: false };
    if (lease.state.kind === 'running' || lease.state.kind === 'dead-lettering') {
      lease.state = { kind: 'lost' };
      return { removed: false };
    }
    const timer = lease.state.kind === 'retry-waiting' ? lease.state.timer : undefined;
    this.#remove(lease);
    return { removed: true, ...(timer ? { timer } : {}) };
  }

  /** Out of the book (settled, or left pending for a peer); only this very lease, never a later one of the same id. */
  release(lease: Lease): void {
    if (this.#leases.get(lease.id) === lease) this.#remove(lease);
  }

  /** Everything waiting (queued or backing off), out of the book (stopping): their timers, for the caller to clear. */
  releaseIdle(): TimerHandle[] {
    const timers: TimerHandle[] = [];
    for (const lease of [...this.#leases.values()]) {
      if (lease.state.kind !== 'queued' && lease.state.kind !== 'retry-waiting') continue;
      if (lease.state.kind === 'retry-waiting') timers.push(lease.state.timer);
      this.#remove(lease);
    }
    return timers;
  }

  #remove(lease: Lease): void {
    this.#leases.delete(lease.id);
    const i = this.#queue.indexOf(lease);
    if (i >= 0) this.#queue.splice(i, 1);
  }
}
