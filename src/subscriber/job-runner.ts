// Turns a delivery into a settled job: claim it, run its handler under JOB_TIMEOUT, record metrics,
// and tell the transport whether to acknowledge, retry or hand it back.
import type { Db } from '../db/db.js';
import type { UserLlmSettings } from '../db/users.js';
import { backoffDelay, JOB_RETRY } from '../backoff.js';
import { isPermanent, isTransient, toError } from '../errors/job-errors.js';
import type { Logger } from '../logger.js';
import { jobFields, jobKey, type JobMessage } from '../messages.js';
import { claimConflicts, jobDuration, jobsProcessed, jobsRunning, messagesReceived } from '../metrics.js';
import type { Summarizer } from '../summarizer/summarizer.js';
import type { ClaimStore } from '../transport/claim-store.js';
import type { JobBudget } from '../transport/limits.js';
import type { UserSlot, UserSlots } from '../transport/user-slots.js';
import type { Delivery, DeliveryHandler, Settlement } from '../transport/transport.js';
import { dispatch as dispatchJob } from './handlers/index.js';
import { failSpan, inJobSpan, startSpan, withContext, type JobSpan } from '../spans.js';
import type { JobContext, JobOutcome } from './job-context.js';

export interface JobRunnerOptions {
  db: Db;
  claims: ClaimStore;
  logger: Logger;
  /** JOB_TIMEOUT. */
  jobTimeoutMs: number;
  minChars: number;
  summarizerFor(settings: UserLlmSettings): Summarizer;
  /** USER_MAX_JOBS_PER_HOUR; absent: no per-user budget. */
  jobBudget?: JobBudget;
  /** USER_MAX_CONCURRENT_JOBS; absent: no per-user limit on running jobs. */
  userSlots?: UserSlots;
  /** First retry delay; doubles per attempt. @defaultValue 1000 */
  retryBaseMs?: number;
  /** This subscriber's name in the job history (config.instance); absent: no history is recorded. */
  instance?: string;
  /** Runs the job's handler. @defaultValue the handler table of handlers/index.ts */
  dispatch?: (msg: JobMessage, ctx: JobContext) => Promise<JobOutcome>;
}

/** A run's log line, with the job's fields. */
type RunLog = (level: 'debug' | 'info' | 'warn' | 'error', o: object, m: string) => void;

/** A job whose user has every slot running waits about this long before it is offered again. */
const DEFER_MS = 250;
/** Redis failed before the job started: offered again after about this long. */
const REDIS_DOWN_MS = 1000;
/** A dead run's claim is renewed no more and lapses within JOB_LEASE: asked again about every second. */
const STALE_CLAIM_POLL_MS = 500;

export function createJobRunner(options: JobRunnerOptions): DeliveryHandler {
  const { db, claims, logger } = options;
  // Users found with every slot taken, until when: their next jobs are deferred without asking
  // Redis again, so a long backlog of one user costs a few lookups a second, not one per job.
  const full = new Map<string, number>();
  // A deferred delivery is offered again as the same object: it was received once, not per offer.
  const deferred = new WeakSet<Delivery>();
  const deferral = (delivery: Delivery, ms = DEFER_MS): Settlement => {
    deferred.add(delivery);
    return { kind: 'defer', delayMs: ms + Math.floor(Math.random() * ms) };
  };
  const dispatch = options.dispatch ?? dispatchJob;
  // One 'abort' listener per stop signal (the transport passes the same one to every delivery),
  // not one per job: EventTarget listeners cost on the hot path.
  const running = new WeakMap<AbortSignal, Set<(reason: Error) => void>>();
  function watchStop(stop: AbortSignal, abort: (reason: Error) => void): () => void {
    let jobs = running.get(stop);
    if (!jobs) {
      const set = new Set<(reason: Error) => void>();
      stop.addEventListener('abort', () => set.forEach((a) => a(toError(stop.reason))), { once: true });
      running.set(stop, set);
      jobs = set;
    }
    const set = jobs;
    set.add(abort);
    return () => set.delete(abort);
  }

  // One consumer span per run of a delivery (not per deferred offer), child of the publish the
  // message's traceparent names; the claim, the handler's spans and the settlement hang below it.
  return (delivery, stopSignal): Promise<Settlement> => {
    // Counted once per delivery: a deferred one offered again is not received again.
    if (!deferred.has(delivery)) messagesReceived.add(delivery.message.type);
    const busyUntil = options.userSlots ? full.get(delivery.message.user_id) : undefined;
    if (busyUntil !== undefined && busyUntil > Date.now()) return Promise.resolve(deferral(delivery));
    return inJobSpan(delivery.message, delivery.deliveryCount, (job) => run(delivery, stopSignal, job));
  };

  /**
   * Redis failed before the job started, not the job: the same delivery is offered again after a
   * pause, spending none of MAX_DELIVERIES. As a retry, two short Redis error windows and one
   * killed subscriber dead-lettered a job nobody had run (chaos seed 7413). Logged through the
   * run's own log; not a closure per run, since most runs never need it.
   */
  function redisDown(delivery: Delivery, log: RunLog, what: string, err: unknown): Settlement {
    log('warn', { err: toError(err).message }, what);
    return deferral(delivery, REDIS_DOWN_MS);
  }

  async function run(delivery: Delivery, stopSignal: AbortSignal, job: JobSpan): Promise<Settlement> {
    const msg = delivery.message;
    // Messages published by other tools may lack an id: the transport's delivery id stands in.
    // Built only when something is logged: a job that logs nothing (most, at info) never needs them.
    const fields = () => ({ ...jobFields(msg), message_id: msg.id ?? delivery.id, attempt: delivery.deliveryCount });
    // A pino child per job costs more than a no-op job; it is made only if a handler logs.
    let child: Logger | undefined;
    const log: RunLog = (level, o, m) => {
      if (logger.isLevelEnabled(level)) logger[level]({ ...fields(), ...o }, m);
    };
    const claimSpan = startSpan('claim', job.context);
    let attempt;
    try {
      attempt = await claims.acquire(jobKey(msg), delivery.id);
      if (claimSpan.isRecording()) claimSpan.setAttribute('diary.claim.acquired', attempt.ok);
    } catch (err) {
      failSpan(claimSpan, err);
      return redisDown(delivery, log, 'could not take the job’s claim (Redis); offered again shortly', err);
    } finally {
      claimSpan.end();
    }
    if (!attempt.ok) {
      claimConflicts.add(msg.type);
      if (attempt.heldBy === delivery.id && delivery.exclusive) {
        // This delivery's own earlier run holds the claim (its subscriber died mid-job), and the
        // claim lapses within JOB_LEASE. Nobody runs the job: wait for the lapse as this same
        // delivery. Handing it back spent one of MAX_DELIVERIES on a run that never started, and
        // a job whose subscribers were killed four times was dead-lettered (chaos seed 101).
        log('info', {}, 'job still claimed by this delivery’s previous run; waiting for the claim to lapse');
        return deferral(delivery, STALE_CLAIM_POLL_MS);
      }
      // Another delivery holds it, or (Pub/Sub) another subscriber's copy of this broadcast.
      log('debug', {}, 'job claimed by another subscriber');
      return { kind: 'duplicate' };
    }
    const claim = attempt.claim;
    let slot: UserSlot | undefined;
    if (options.userSlots) {
      try {
        slot = await options.userSlots.take(msg.user_id);
      } catch (err) {
        void claim.release();
        return redisDown(delivery, log, 'could not take a user slot (Redis); offered again shortly', err);
      }
      if (!slot) {
        if (full.size > 10_000) full.clear();
        full.set(msg.user_id, Date.now() + DEFER_MS / 2);
        void claim.release();
        log('debug', {}, "the user's USER_MAX_CONCURRENT_JOBS are all running; deferred");
        return deferral(delivery);
      }
      full.delete(msg.user_id);
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
    const unwatch = stopSignal.aborted ? undefined : watchStop(stopSignal, abort);
    if (stopSignal.aborted) abort(toError(stopSignal.reason));
    claim.onLost(() => abort(new Error('claim lost')));
    const started = performance.now();
    const startedAt = Date.now();
    jobsRunning.n++;
    let outcome = 'error';
    try {
      outcome = await withContext(job.context, () => dispatch(msg, {
        db,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (abortReason) controller.abort(abortReason);
          }
          return controller.signal;
        },
        get logger() {
          child ??= logger.child(fields());
          return child;
        },
        attempt: delivery.deliveryCount,
        minChars: options.minChars,
        summarizerFor: options.summarizerFor,
        ...(options.instance === undefined
          ? {}
          : {
              attemptRecord: (errorClass: string | null) => {
                const published = msg.published_at ? Date.parse(msg.published_at) : Number.NaN;
                return {
                  messageId: msg.id ?? delivery.id,
                  trigger: msg.trigger ?? null,
                  subscriber: options.instance as string,
                  deliveryCount: delivery.deliveryCount,
                  queuedMs: Number.isNaN(published) ? null : Math.max(0, startedAt - published),
                  runningMs: performance.now() - started,
                  errorClass,
                };
              },
            }),
        ...(options.jobBudget ? { takeLlmJob: () => (options.jobBudget as JobBudget).take(msg.user_id) } : {}),
      }));
      // At debug: one pino line per job cost more CPU than the claim (issue 19's profile). The job
      // history (job_attempts), diary_jobs_processed_total and the job's span carry the same facts.
      log('debug', { outcome, ms: Math.round(performance.now() - started) }, 'job finished');
      return { kind: 'ack' };
    } catch (err) {
      const error = toError(err);
      if (claim.lost) {
        outcome = 'lease_lost';
        log('warn', {}, 'job abandoned: its claim was lost; the job is delivered again');
        return { kind: 'abandon' };
      }
      failSpan(job.span, err);
      if (isPermanent(err)) {
        outcome = 'failed';
        log('error', { err: error.message }, 'job failed permanently; recorded, not retried');
        return { kind: 'ack' };
      }
      outcome = 'retry';
      const reason = timedOut ? `timed out after ${options.jobTimeoutMs}ms` : error.message;
      // Retry-After is a floor: never sooner than the server asked.
      const base = options.retryBaseMs === undefined ? JOB_RETRY : { ...JOB_RETRY, baseMs: options.retryBaseMs };
      const delayMs = Math.max(backoffDelay(delivery.deliveryCount - 1, base), (isTransient(err) ? err.retryAfterMs : undefined) ?? 0);
      if (stopSignal.aborted) log('info', {}, 'job interrupted by shutdown; left for another delivery');
      else log('warn', { err: reason, retry_in_ms: delayMs }, 'job failed; will retry');
      return { kind: 'retry', delayMs, error: reason };
    } finally {
      clearTimeout(timer);
      unwatch?.();
      jobsRunning.n--;
      const seconds = (performance.now() - started) / 1000;
      jobsProcessed.add(msg.type, outcome);
      jobDuration.observe({ type: msg.type, outcome }, seconds);
      if (job.span.isRecording()) job.span.setAttribute('diary.job.outcome', outcome);
      // Not awaited: the release goes out with the transport's ack in the same write, and a
      // failed one only lets the claim expire by its lease.
      void claim.release();
      void slot?.release();
    }
  }
}
