// Long-running commands stop cleanly on SIGINT/SIGTERM: stop taking work, finish or hand back what
// is held within a bounded time, exit 0. A second signal exits at once.
//
// Signals are handled from the first moment (a command installs this before it opens anything),
// and each part a command starts defers its own stop; they run last-started-first, like Go's
// defer, so a signal during start-up stops exactly what had started.
import type { Logger } from '../logger.js';
import { handOverSignals } from './start-signals.js';

/** Time given to running jobs to finish before they are aborted. */
export const SHUTDOWN_GRACE_MS = 10_000;
/**
 * Past this, the process exits 1 whatever is still stopping. Every stop step is bounded on its own
 * (connections close within seconds even when Redis or PostgreSQL is unreachable), so this is a
 * last resort, not the plan.
 */
export const SHUTDOWN_LIMIT_MS = SHUTDOWN_GRACE_MS + 15_000;

/**
 * The stop steps of this process, last added first: the entry point adds the traces' flush before
 * a command adds its own, so it runs last and the spans of jobs that finished while stopping go too.
 */
const steps: Array<() => Promise<void>> = [];

/** Adds a stop step; steps run in the reverse order of adding, one after another, each bounded by itself. */
export function deferStop(step: () => Promise<void>): void {
  steps.push(step);
}

export interface Shutdown {
  /** Adds a stop step; steps run in the reverse order of adding, one after another. */
  defer(step: () => Promise<void>): void;
}

export function onShutdown(logger: Logger): Shutdown {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    (async () => {
      for (const step of steps.reverse()) await step();
    })()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  handOverSignals();
  return { defer: deferStop };
}
