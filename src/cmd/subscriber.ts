// `diary-events subscriber`: consume jobs, validate, dispatch, process with bounded concurrency.
import type { Logger } from '../logger.js';
import { messagesRejected } from '../metrics.js';
import type { Runtime } from '../runtime.js';
import { createJobRunner } from '../subscriber/job-runner.js';
import type { Consumer } from '../transport/transport.js';
import { saveGiveUp } from '../subscriber/give-up.js';

export interface SubscriberRole {
  consumer: Consumer;
  stop(graceMs: number): Promise<void>;
}

export async function startSubscriber(rt: Runtime, logger: Logger): Promise<SubscriberRole> {
  const { config } = rt;
  const runner = createJobRunner({
    db: rt.db,
    claims: rt.messaging.claims,
    logger,
    jobTimeoutMs: config.subscriber.jobTimeoutMs,
    minChars: config.summaryMinChars,
    summarizerFor: (settings) => rt.summarizerFor(settings),
    jobBudget: rt.jobBudget,
    instance: config.instance,
    userSlots: rt.userSlots,
  });
  const consumer = await rt.messaging.transport.consume(runner, {
    concurrency: config.subscriber.maxConcurrentJobs,
    onReject(reason, detail, raw) {
      messagesRejected.inc({ reason });
      logger.warn({ reason, detail, raw: raw.length > 200 ? `${raw.slice(0, 200)}…` : raw }, 'malformed message dropped');
    },
    onGiveUp(delivery, error, outcome) {
      void saveGiveUp(rt.db, delivery.message, error, delivery.deliveryCount, outcome).catch((err: Error) =>
        logger.warn({ err: err.message }, 'could not record the given-up job'),
      );
      logger.error({ message_id: delivery.id, deliveries: delivery.deliveryCount, err: error }, 'job given up after MAX_DELIVERIES');
    },
  });
  logger.info(
    { transport: config.transport, where: rt.messaging.where, concurrency: config.subscriber.maxConcurrentJobs },
    'subscriber listening',
  );
  return {
    consumer,
    stop: (graceMs) => consumer.stop(graceMs),
  };
}
