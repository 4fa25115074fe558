// Publishing jobs and consuming them, whatever the transport (Pub/Sub or Streams): the part of
// the Redis seam (messaging.ts) that carries jobs. Nothing outside src/transport holds a Redis
// client or asks which transport it has.
import type { JobMessage, RejectReason } from '../messages.js';

/** One received, valid job. */
export interface Delivery {
  readonly message: JobMessage;
  /** Transport id: the stream entry id, or the message id (or a local counter) for Pub/Sub. */
  readonly id: string;
  /** 1 on first delivery; streams count redeliveries, Pub/Sub counts in-process retries. */
  readonly deliveryCount: number;
  /**
   * True when the transport hands this id to one consumer at a time (a stream entry), so a job
   * claim held under it belongs to an earlier run of this same delivery that never settled (its
   * subscriber died, or its release failed). Absent for Pub/Sub, where every subscriber's copy of
   * a broadcast carries the same id and such a claim means a live peer is running the job.
   */
  readonly exclusive?: true;
}

/** What became of a delivery, decided by the subscriber after its handler ran. */
export type Settlement =
  /** Done with it (stored, already current, or permanently failed and recorded). */
  | { kind: 'ack' }
  /** Transient failure: deliver it again after `delayMs` unless MAX_DELIVERIES is reached. */
  | { kind: 'retry'; delayMs: number; error: string }
  /**
   * A copy of a job another delivery is running (it holds the job's claim, and its own delivery
   * carries the job to the end): this one is settled without running and without a failure.
   */
  | { kind: 'duplicate' }
  /**
   * Nobody may be running the job now: this run lost its claim and stopped without writing. The
   * delivery must be given again later — never acknowledged as done, never counted as a failure.
   */
  | { kind: 'abandon' }
  /**
   * Not run now: all of its user's USER_MAX_CONCURRENT_JOBS slots are taken (by this or another
   * subscriber), or an exclusive delivery's own earlier run still holds the job's claim until it
   * lapses. Given again after `delayMs`, neither acknowledged nor counted as a failure or a
   * delivery; streams keep its lease renewed meanwhile.
   */
  | { kind: 'defer'; delayMs: number };

/** What became of a delivery the transport gave up on. */
export interface GiveUp {
  /**
   * True: it sits in the dead-letter stream, from where an operator replays it. False: it is gone
   * (Pub/Sub keeps nothing), and only the scheduler's next tick brings the job back.
   */
  readonly deadLettered: boolean;
}

export type DeliveryHandler = (delivery: Delivery, signal: AbortSignal) => Promise<Settlement>;

export interface ConsumeOptions {
  /** Deliveries handled at once (SUBSCRIBER_MAX_CONCURRENT_JOBS). */
  concurrency: number;
  /** A message that failed validation: log once, count, drop (never retried). */
  onReject(reason: RejectReason, detail: string, raw: string): void;
  /** A delivery given up after `maxDeliveries` transient failures; see GiveUp. */
  onGiveUp?(delivery: Delivery, error: string, outcome: GiveUp): void;
}

export interface Consumer {
  /** Stops taking new deliveries, waits for those in flight (aborted after `graceMs`), then returns. */
  stop(graceMs: number): Promise<void>;
  /** Deliveries being handled now. */
  inFlight(): number;
}

export interface Transport {
  /** Publishes one job; rejects when Redis did not accept it. */
  publish(message: JobMessage): Promise<void>;
  /** Starts consuming; `handler` runs for each valid delivery, at most `concurrency` at once. */
  consume(handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer>;
  /** True while connected (and, for a consumer, subscribed / reading). */
  isReady(): boolean;
  /** Lets go of the connection it was given (which its opener closes). */
  close(): Promise<void>;
}
