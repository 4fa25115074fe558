// A simulated clock (asynq's SimulatedClock): time moves only when a test says so, and the timers
// that fall due run in order, each followed by the promise continuations it set off.
import type { Clock, TimerHandle } from '../../src/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Lets queued continuations run: several event-loop turns, because work that batches by turn
 * (coalesce.ts) hands on from one turn to the next.
 */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<TimerHandle, Pending>();

  constructor(start: number | string = '2024-03-01T00:00:00Z') {
    this.#now = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { unref: () => handle };
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return handle;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer) this.#timers.delete(timer);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const next = [...this.#timers.entries()].sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq)[0];
      if (!next || next[1].at > end) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].fn();
    }
    this.#now = end;
    await settle();
  }
}
