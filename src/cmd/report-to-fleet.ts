// Starts a long-running command's fleet report (see src/fleet-reporter.ts).
import { fleetReporter, type FleetReporter } from '../fleet-reporter.js';
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';

export async function reportToFleet(rt: Runtime, roles: readonly string[], logger: Logger): Promise<FleetReporter> {
  const reporter = fleetReporter({
    fleet: rt.messaging.fleet,
    instance: rt.config.instance,
    role: roles.join('+'),
    concurrency: roles.includes('subscriber') ? rt.config.subscriber.maxConcurrentJobs : 0,
    logger,
  });
  await reporter.start();
  return reporter;
}
