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
import type { AttemptRecord } from '../db/job-history.js';

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

/** A job whose user has every slot running waits about this long before it is offered again. */
const DEFER_MS = 250;
/** Redis failed before the job started: offered again after about this long. */
const REDIS_DOWN_MS = 1000;
/** A dead run's claim is renewed no more and lapses within JOB_LEASE: asked again about every second. */
const STALE_CLAIM_POLL_MS = 500;

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * One run of a delivery: the handler's JobContext and the runner's own state of the run in one
 * object, its behaviour on the prototype. An object literal with getters, spreads and five
 * closures per run cost a no-op job more than its claim did (issue 19, round 7).
 */
class JobRun implements JobContext {
  readonly db: Db;
  readonly attempt: number;
  readonly minChars: number;
  readonly summarizerFor: (settings: UserLlmSettings) => Summarizer;
  /** Set only when the job history is kept (JobRunnerOptions.instance). */
  attemptRecord?: (errorClass: string | null) => AttemptRecord;
  /** Set only with a per-user job budget (USER_MAX_JOBS_PER_HOUR). */
  takeLlmJob?: () => Promise<number>;
  timedOut = false;
  started = 0;
  startedAt = 0;
  // The AbortSignal is made only when a handler asks for it (one that returns early never does):
  // AbortController and AbortSignal.timeout/any per job cost more than a no-op job on Node 20.
  // The timeout, a lost claim or the process stopping record the reason either way.
  #controller: AbortController | undefined;
  #abortReason: Error | undefined;
  // A pino child per job costs more than a no-op job; it is made only if a handler logs.
  #child: Logger | undefined;

  constructor(
    readonly delivery: Delivery,
    private readonly options: JobRunnerOptions,
  ) {
    this.db = options.db;
    this.attempt = delivery.deliveryCount;
    this.minChars = options.minChars;
    this.summarizerFor = options.summarizerFor;
    if (options.instance !== undefined) this.attemptRecord = this.#record;
    if (options.jobBudget) this.takeLlmJob = this.#takeLlmJob;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get logger(): Logger {
    this.#child ??= this.options.logger.child(this.fields());
    return this.#child;
  }

  /** The job's fields for a log line; built only when something is logged (most jobs log nothing at info). */
  fields(): object {
    const msg = this.delivery.message;
    // Messages published by other tools may lack an id: the transport's delivery id stands in.
    return { ...jobFields(msg), message_id: msg.id ?? this.delivery.id, attempt: this.delivery.deliveryCount };
  }

  log(level: LogLevel, o: object, m: string): void {
    const { logger } = this.options;
    if (logger.isLevelEnabled(level)) logger[level]({ ...this.fields(), ...o }, m);
  }

  /** JOB_TIMEOUT passed. */
  expire(): void {
    this.timedOut = true;
    this.abort(new Error(`job timed out after ${this.options.jobTimeoutMs}ms`));
  }

  /** Ends the job's work: the first reason stands. */
  abort(reason: Error): void {
    this.#abortReason ??= reason;
    this.#controller?.abort(this.#abortReason);
  }

  #record(errorClass: string | null): AttemptRecord {
    const msg = this.delivery.message;
    const published = msg.published_at ? Date.parse(msg.published_at) : Number.NaN;
    return {
      messageId: msg.id ?? this.delivery.id,
      trigger: msg.trigger ?? null,
      subscriber: this.options.instance ?? null,
      deliveryCount: this.delivery.deliveryCount,
      queuedMs: Number.isNaN(published) ? null : Math.max(0, this.startedAt - published),
      runningMs: performance.now() - this.started,
      errorClass,
    };
  }

  #takeLlmJob(): Promise<number> {
    return (this.options.jobBudget as JobBudget).take(this.delivery.message.user_id);
  }
}

/** JOB_TIMEOUT's timer callback: one function for every run, the run passed as its argument. */
const expire = (run: JobRun): void => run.expire();

export function createJobRunner(options: JobRunnerOptions): DeliveryHandler {
  const { claims } = options;
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
  const running = new WeakMap<AbortSignal, Set<JobRun>>();
  function runsOf(stop: AbortSignal): Set<JobRun> {
    let runs = running.get(stop);
    if (!runs) {
      const set = new Set<JobRun>();
      stop.addEventListener('abort', () => set.forEach((r) => r.abort(toError(stop.reason))), { once: true });
      running.set(stop, set);
      runs = set;
    }
    return runs;
  }

  // One consumer span per run of a delivery (not per deferred offer), child of the publish the
  // message's traceparent names; the claim, the handler's spans and the settlement hang below it.
  return (delivery, stopSignal): Promise<Settlement> => {
    // Counted once per delivery: a deferred one offered again is not received again.
    if (!deferred.has(delivery)) messagesReceived.add(delivery.message.type);
    const busyUntil = options.userSlots ? full.get(delivery.message.user_id) : undefined;
    if (busyUntil !== undefined && busyUntil > Date.now()) return Promise.resolve(deferral(delivery));
    return inJobSpan(delivery.message, delivery.deliveryCount, (job) => run(new JobRun(delivery, options), stopSignal, job));
  };

  /**
   * Redis failed before the job started, not the job: the same delivery is offered again after a
   * pause, spending none of MAX_DELIVERIES. As a retry, two short Redis error windows and one
   * killed subscriber dead-lettered a job nobody had run (chaos seed 7413).
   */
  function redisDown(run: JobRun, what: string, err: unknown): Settlement {
    run.log('warn', { err: toError(err).message }, what);
    return deferral(run.delivery, REDIS_DOWN_MS);
  }

  async function run(ctx: JobRun, stopSignal: AbortSignal, job: JobSpan): Promise<Settlement> {
    const { delivery } = ctx;
    const msg = delivery.message;
    const claimSpan = startSpan('claim', job.context);
    let attempt;
    try {
      attempt = await claims.acquire(jobKey(msg), delivery.id);
      if (claimSpan.isRecording()) claimSpan.setAttribute('diary.claim.acquired', attempt.ok);
    } catch (err) {
      failSpan(claimSpan, err);
      return redisDown(ctx, 'could not take the job’s claim (Redis); offered again shortly', err);
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
        ctx.log('info', {}, 'job still claimed by this delivery’s previous run; waiting for the claim to lapse');
        return deferral(delivery, STALE_CLAIM_POLL_MS);
      }
      // Another delivery holds it, or (Pub/Sub) another subscriber's copy of this broadcast.
      ctx.log('debug', {}, 'job claimed by another subscriber');
      return { kind: 'duplicate' };
    }
    const claim = attempt.claim;
    let slot: UserSlot | undefined;
    if (options.userSlots) {
      try {
        slot = await options.userSlots.take(msg.user_id);
      } catch (err) {
        void claim.release();
        return redisDown(ctx, 'could not take a user slot (Redis); offered again shortly', err);
      }
      if (!slot) {
        if (full.size > 10_000) full.clear();
        full.set(msg.user_id, Date.now() + DEFER_MS / 2);
        void claim.release();
        ctx.log('debug', {}, "the user's USER_MAX_CONCURRENT_JOBS are all running; deferred");
        return deferral(delivery);
      }
      full.delete(msg.user_id);
    }
    const timer = setTimeout(expire, options.jobTimeoutMs, ctx);
    const runs = stopSignal.aborted ? undefined : runsOf(stopSignal);
    runs?.add(ctx);
    if (stopSignal.aborted) ctx.abort(toError(stopSignal.reason));
    claim.onLost(() => ctx.abort(new Error('claim lost')));
    ctx.started = performance.now();
    ctx.startedAt = Date.now();
    jobsRunning.n++;
    let outcome = 'error';
    try {
      outcome = await withContext(job.context, () => dispatch(msg, ctx));
      // At debug: one pino line per job cost more CPU than the claim (issue 19's profile). The job
      // history (job_attempts), diary_jobs_processed_total and the job's span carry the same facts.
      ctx.log('debug', { outcome, ms: Math.round(performance.now() - ctx.started) }, 'job finished');
      return { kind: 'ack' };
    } catch (err) {
      const error = toError(err);
      if (claim.lost) {
        outcome = 'lease_lost';
        ctx.log('warn', {}, 'job abandoned: its claim was lost; the job is delivered again');
        return { kind: 'abandon' };
      }
      failSpan(job.span, err);
      if (isPermanent(err)) {
        outcome = 'failed';
        ctx.log('error', { err: error.message }, 'job failed permanently; recorded, not retried');
        return { kind: 'ack' };
      }
      outcome = 'retry';
      const reason = ctx.timedOut ? `timed out after ${options.jobTimeoutMs}ms` : error.message;
      // Retry-After is a floor: never sooner than the server asked.
      const base = options.retryBaseMs === undefined ? JOB_RETRY : { ...JOB_RETRY, baseMs: options.retryBaseMs };
      const delayMs = Math.max(backoffDelay(delivery.deliveryCount - 1, base), (isTransient(err) ? err.retryAfterMs : undefined) ?? 0);
      if (stopSignal.aborted) ctx.log('info', {}, 'job interrupted by shutdown; left for another delivery');
      else ctx.log('warn', { err: reason, retry_in_ms: delayMs }, 'job failed; will retry');
      return { kind: 'retry', delayMs, error: reason };
    } finally {
      clearTimeout(timer);
      runs?.delete(ctx);
      jobsRunning.n--;
      const seconds = (performance.now() - ctx.started) / 1000;
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
