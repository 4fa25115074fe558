// Bounds a wait that could otherwise last forever: a command queued while Redis is away, a query on
// a connection whose server vanished. The work itself is not cancelled; the caller stops waiting.
import { systemClock, type Clock } from './clock.js';

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Settles as `promise` does, or rejects with a TimeoutError naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms}ms`)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Waits for `promise` at most `ms`; true when it settled in time (its outcome is not reported). */
export async function settledWithin(promise: Promise<unknown>, ms: number, clock: Clock = systemClock): Promise<boolean> {
  try {
    await withTimeout(promise, ms, 'wait', clock);
    return true;
  } catch (err) {
    return !(err instanceof TimeoutError);
  }
}
