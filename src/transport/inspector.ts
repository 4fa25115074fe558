// What operators ask of the queue — its state and its dead letters — whatever the transport, as
// asynq's Inspector sits over its broker. `status`, the dashboard and `dlq` read only this.

export interface ConsumerStatus {
  name: string;
  pending: number;
  /** Since the consumer last read or claimed. */
  idleMs: number;
}

export interface QueueStatus {
  /** The transport's name, for display (QUEUE_TRANSPORT). */
  transport: string;
  /** Where jobs travel: the channel or the stream(s). */
  where: string[];
  /** Subscribers listening (Pub/Sub) or consumers of the group (streams). */
  consumers: number;
  /** Entries kept in the queue, delivered or not; null when the transport keeps none (Pub/Sub). */
  depth: number | null;
  /** Delivered but not acknowledged; null when the transport does not track it. */
  pending: number | null;
  pendingPerConsumer: ConsumerStatus[];
  /** Since the oldest pending entry was published; null when nothing is pending. */
  oldestPendingAgeMs: number | null;
  /** Since the oldest pending entry was last delivered or its lease renewed; null when none. */
  oldestPendingIdleMs: number | null;
  /** Entries in the dead letters; null when the transport keeps none. */
  deadLetters: number | null;
}

export interface DeadLetter {
  id: string;
  data: string;
  error: string;
  deliveries: number;
  /** ISO time it was dead-lettered. */
  failedAt: string;
  /** Its id in the job stream. */
  originalId: string;
}

export interface DeadLetterStore {
  /** The oldest `limit` dead letters. */
  list(limit: number): Promise<DeadLetter[]>;
  /** Publishes them again (as manual jobs) and removes them; returns how many; unknown ids are skipped. */
  replay(ids: readonly string[] | 'all'): Promise<number>;
  /** Deletes every dead letter; returns how many there were. */
  purge(): Promise<number>;
}

/** Asked for dead letters of a transport that keeps none. */
export class NoDeadLettersError extends Error {
  override readonly name = 'NoDeadLettersError';
}

/** What the queue can take now, for the scheduler's admission control (issue 21). */
export interface FleetCapacity {
  /** The transport's name (QUEUE_TRANSPORT), recorded with each announcement. */
  via: string;
  /** True: a waiting job stays in the queue until handled (streams). False: it may be lost (Pub/Sub). */
  durable: boolean;
  /** Jobs the queue may take now: up to the high-water mark, or the room subscribers report. */
  room: number;
  /** Jobs ahead of a new one: undelivered and pending, or subscribers' backlog and in flight. */
  ahead: number;
  /** Jobs per second the subscribers report finishing; 0 when unknown. */
  rate: number;
  /** Concurrent slots the subscribers report; 0 when unknown. */
  slots: number;
  /** How long ago a subscriber last reported dropping messages; null when none did. */
  lostAgoMs: number | null;
  /** Entries the subscribers have read from the queue so far (streams, Redis 7+); null when unknown. */
  consumed: number | null;
}

export interface Inspector {
  status(): Promise<QueueStatus>;
  /** What the queue can take now; `highWater` bounds the entries a durable queue keeps waiting. */
  capacity(highWater: number): Promise<FleetCapacity>;
  /** The dead letters; throws NoDeadLettersError (saying why) when the transport keeps none. */
  deadLetters(): DeadLetterStore;
}
