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
  const running = new Set<Promise<void>>();
  const stopAll = new AbortController();
  // Every running delivery listens to it.
  setMaxListeners(0, stopAll.signal);

  return {
    tryRun(delivery, settle) {
      if (running.size >= concurrency) return false;
      const p = (async () => {
        try {
          await settle(await handler(delivery, stopAll.signal));
        } catch (err) {
          onError(err);
        }
      })().finally(() => {
        running.delete(p);
        onSlotFree();
      });
      running.add(p);
      return true;
    },
    free: () => concurrency - running.size,
    inFlight: () => running.size,
    async drain(graceMs, unwindMs = UNWIND_MS) {
      const all = Promise.all([...running]);
      if (!(await settledWithin(all, graceMs))) {
        stopAll.abort(new Error('subscriber stopping'));
        await settledWithin(all, unwindMs);
      }
      return running.size;
    },
  };
}
