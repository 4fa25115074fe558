// A job the scheduler runs every interval: find targets, publish one message each.
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { JobMessage } from '../messages.js';

export interface TickContext {
  db: Db;
  now: Date;
  logger: Logger;
  publish(message: JobMessage): Promise<void>;
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
