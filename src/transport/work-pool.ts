// Runs deliveries with bounded concurrency and a job-wide abort on stop; shared by both transports.
import { setMaxListeners } from 'node:events';
import { settledWithin } from '../timeout.js';
import type { Delivery, DeliveryHandler, Settlement } from './transport.js';

/** After the abort, how long stopping waits for handlers to unwind. */
export const UNWIND_MS = 2000;

export interface WorkPool {
  /** Starts `delivery` now if a slot is free; returns false when all slots are busy. */
  tryRun(delivery: Delivery, settle: (s: Settlement) => Promise<void> | void): boolean;
  free(): number;
  inFlight(): number;
  /**
   * Waits for running deliveries; after `graceMs` aborts them and waits at most `unwindMs` more for
   * them to unwind (a handler stuck on an unreachable database does not hold the stop). Resolves
   * with the number still running when it gave up waiting.
   */
  drain(graceMs: number, unwindMs?: number): Promise<number>;
}

export function createWorkPool(
  handler: DeliveryHandler,
  concurrency: number,
  onError: (err: unknown) => void,
  /** Called each time a slot frees, to start the next queued delivery. */
  onSlotFree: () => void = () => {},
): WorkPool {
  // A count and one async call per delivery, not a Set of promises chained with .finally: the
  // pool runs once per job, and every promise and closure it adds shows at no-op drain rates.
  let running = 0;
  let idle: Array<() => void> = [];
  const stopAll = new AbortController();
  // Every running delivery listens to it.
  setMaxListeners(0, stopAll.signal);

  async function run(delivery: Delivery, settle: (s: Settlement) => Promise<void> | void): Promise<void> {
    try {
      await settle(await handler(delivery, stopAll.signal));
    } catch (err) {
      onError(err);
    } finally {
      running--;
      if (running === 0 && idle.length > 0) {
        const waiters = idle;
        idle = [];
        for (const wake of waiters) wake();
      }
      onSlotFree();
    }
  }
  const allDone = () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)));

  return {
    tryRun(delivery, settle) {
      if (running >= concurrency) return false;
      running++;
      void run(delivery, settle);
      return true;
    },
    free: () => concurrency - running,
    inFlight: () => running,
    async drain(graceMs, unwindMs = UNWIND_MS) {
      const all = allDone();
      if (!(await settledWithin(all, graceMs))) {
        stopAll.abort(new Error('subscriber stopping'));
        await settledWithin(all, unwindMs);
      }
      return running;
    },
  };
}
