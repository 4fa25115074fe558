// A job the scheduler runs every interval: find targets, publish one message each.
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { JobMessage } from '../messages.js';
import type { Fleet } from './admission.js';

export interface TickContext {
  db: Db;
  now: Date;
  logger: Logger;
  publish(message: JobMessage): Promise<void>;
  /**
   * Admission control and the announcement record (issue 21). Absent: every due target is
   * published every tick and nothing is recorded (the bench's bare-query figures).
   */
  fleet?: Fleet;
  /** SCHEDULER_MAX_PER_USER, with `fleet`. @defaultValue 100 */
  maxPerUser?: number;
}

export interface TickResult {
  found: number;
  published: number;
  failed: number;
}

export interface ScheduledJob {
  readonly name: string;
  readonly intervalMs: number;
  run(ctx: TickContext): Promise<TickResult>;
}
