// Runs deliveries with bounded concurrency and a job-wide abort on stop; shared by both transports.
import { setMaxListeners } from 'node:events';
import type { Delivery, DeliveryHandler, Settlement } from './transport.js';

export interface WorkPool {
  /** Starts `delivery` now if a slot is free; returns false when all slots are busy. */
  tryRun(delivery: Delivery, settle: (s: Settlement) => Promise<void> | void): boolean;
  free(): number;
  inFlight(): number;
  /** Resolves when a slot frees (or at once when one is free). */
  whenFree(): Promise<void>;
  /** Waits for running deliveries; after `graceMs` aborts them and waits for them to unwind. */
  drain(graceMs: number): Promise<void>;
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
  let waiters: Array<() => void> = [];

  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const fn of w) fn();
  };

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
        wake();
        onSlotFree();
      });
      running.add(p);
      return true;
    },
    free: () => concurrency - running.size,
    inFlight: () => running.size,
    whenFree: () =>
      running.size < concurrency ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    async drain(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const all = Promise.all([...running]).then(() => 'done' as const);
      if ((await Promise.race([all, grace])) === 'timeout') {
        stopAll.abort(new Error('subscriber stopping'));
        await all;
      }
      clearTimeout(timer);
      wake();
    },
  };
}
