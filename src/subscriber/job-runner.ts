// Turns a delivery into a settled job: claim it, run its handler under JOB_TIMEOUT, record metrics,
// and tell the transport whether to acknowledge, retry or hand it back.
import type { Db } from '../db/db.js';
import type { JobLlmSettings } from '../db/summaries.js';
import { isPermanent, isTransient, toError } from '../errors/job-errors.js';
import type { Logger } from '../logger.js';
import { jobFields, jobKey } from '../messages.js';
import { claimConflicts, jobDuration, jobsInFlight, jobsProcessed, messagesReceived } from '../metrics.js';
import type { Summarizer } from '../summarizer/summarizer.js';
import type { ClaimStore } from '../transport/claim-store.js';
import type { DeliveryHandler, Settlement } from '../transport/transport.js';
import { retryDelay } from './backoff.js';
import { dispatch } from './handlers/index.js';

export interface JobRunnerOptions {
  db: Db;
  claims: ClaimStore;
  logger: Logger;
  /** JOB_TIMEOUT. */
  jobTimeoutMs: number;
  minChars: number;
  summarizerFor(settings: JobLlmSettings): Summarizer;
  /** First retry delay; doubles per attempt. @defaultValue 1000 */
  retryBaseMs?: number;
}

export function createJobRunner(options: JobRunnerOptions): DeliveryHandler {
  const { db, claims, logger } = options;
  return async (delivery, stopSignal): Promise<Settlement> => {
    const msg = delivery.message;
    // Messages published by other tools may lack an id: the transport's delivery id stands in.
    const fields = { ...jobFields(msg), message_id: msg.id ?? delivery.id, attempt: delivery.deliveryCount };
    // A pino child per job costs more than a no-op job; it is made only if a handler logs.
    let child: Logger | undefined;
    const log = {
      debug: (m: string) => logger.debug(fields, m),
      info: (o: object, m: string) => logger.info({ ...fields, ...o }, m),
      warn: (o: object, m: string) => logger.warn({ ...fields, ...o }, m),
      error: (o: object, m: string) => logger.error({ ...fields, ...o }, m),
    };
    messagesReceived.inc({ type: msg.type });
    const claim = await claims.acquire(jobKey(msg));
    if (!claim) {
      claimConflicts.inc({ type: msg.type });
      log.debug('job claimed by another subscriber');
      return { kind: 'release' };
    }
    // The job's AbortSignal is made only when a handler asks for it (one that returns early never
    // does): AbortController and AbortSignal.timeout/any per job cost more than a no-op job on
    // Node 20. The timeout, a lost claim or the process stopping record the reason either way.
    let controller: AbortController | undefined;
    let abortReason: Error | undefined;
    const abort = (reason: Error) => {
      abortReason ??= reason;
      controller?.abort(abortReason);
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort(new Error(`job timed out after ${options.jobTimeoutMs}ms`));
    }, options.jobTimeoutMs);
    const onStop = () => abort(toError(stopSignal.reason));
    if (stopSignal.aborted) onStop();
    else stopSignal.addEventListener('abort', onStop, { once: true });
    claim.onLost(() => abort(new Error('claim lost')));
    const started = performance.now();
    jobsInFlight.inc();
    let outcome = 'error';
    try {
      outcome = await dispatch(msg, {
        db,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (abortReason) controller.abort(abortReason);
          }
          return controller.signal;
        },
        get logger() {
          child ??= logger.child(fields);
          return child;
        },
        attempt: delivery.deliveryCount,
        minChars: options.minChars,
        summarizerFor: options.summarizerFor,
      });
      log.info({ outcome, ms: Math.round(performance.now() - started) }, 'job finished');
      return { kind: 'ack' };
    } catch (err) {
      const error = toError(err);
      if (claim.lost) {
        outcome = 'lease_lost';
        log.warn({}, 'job abandoned: its claim was lost to another subscriber');
        return { kind: 'release' };
      }
      if (isPermanent(err)) {
        outcome = 'failed';
        log.error({ err: error.message }, 'job failed permanently; recorded, not retried');
        return { kind: 'ack' };
      }
      outcome = 'retry';
      const reason = timedOut ? `timed out after ${options.jobTimeoutMs}ms` : error.message;
      const delayMs = retryDelay(delivery.deliveryCount, isTransient(err) ? err.retryAfterMs : undefined, {
        baseMs: options.retryBaseMs ?? 1000,
      });
      if (stopSignal.aborted) log.info({}, 'job interrupted by shutdown; left for another delivery');
      else log.warn({ err: reason, retry_in_ms: delayMs }, 'job failed; will retry');
      return { kind: 'retry', delayMs, error: reason };
    } finally {
      clearTimeout(timer);
      stopSignal.removeEventListener('abort', onStop);
      jobsInFlight.dec();
      const seconds = (performance.now() - started) / 1000;
      jobsProcessed.inc({ type: msg.type, outcome });
      jobDuration.observe({ type: msg.type, outcome }, seconds);
      await claim.release();
    }
  };
}
