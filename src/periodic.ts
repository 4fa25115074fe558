// A task run every `everyMs` on a clock, never overlapping itself: the next round is timed from the
// end of the last. stop() waits for a running round, at most `waitMs` (one stuck on an unreachable
// Redis does not hold a shutdown).
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { settledWithin } from './timeout.js';

export interface Periodic {
  start(): void;
  /** A round now, unless one is running (then that one's promise). */
  runNow(): Promise<void>;
  stop(waitMs?: number): Promise<void>;
}

export function periodic(everyMs: number, task: () => Promise<void>, clock: Clock = systemClock): Periodic {
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const arm = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => void runNow().finally(arm), everyMs);
    timer.unref();
  };
  const runNow = () =>
    (running ??= task()
      .catch(() => {}) // a task reports its own failures; a round never breaks the loop
      .finally(() => {
        running = undefined;
      }));

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      arm();
    },
    runNow,
    async stop(waitMs = 2000) {
      stopped = true;
      clock.clearTimeout(timer);
      if (running) await settledWithin(running, waitMs, clock);
    },
  };
}
