// Long-running commands stop cleanly on SIGINT/SIGTERM: stop taking work, finish or hand back what
// is held within a bounded time, exit 0. A second signal exits at once.
import type { Logger } from '../logger.js';

/** Time given to running jobs to finish before they are aborted. */
export const SHUTDOWN_GRACE_MS = 10_000;

export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Whatever happens, leave within a bound: grace for jobs plus time to close connections.
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 15_000);
    force.unref();
    stop()
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
}
