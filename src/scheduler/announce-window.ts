// When an announced target is worth announcing again (issue 21, guarantee 1).
//
// Streams: a waiting entry is durable, and its lease and dead-letter rules cover loss, so it is
// held for DURABLE_HOLD_MS (a safety net against a stream lost whole, say a Redis without AOF).
// Pub/Sub: the message may be lost, so it is announced again once it should have been done: the
// jobs ahead of it, divided by the fleet's measured rate, with slack — never before a floor of
// two intervals (at least FLOOR_MS), so a tick never re-announces what the previous one published.
import type { FleetCapacity } from '../transport/inspector.js';

export const DURABLE_HOLD_MS = 6 * 3_600_000;
export const FLOOR_MS = 30_000;
/** The window is this many times the expected wait: rates wobble, and a slow job is no loss. */
export const SLACK = 2;
/** With no measured rate yet, a job is assumed to take this long per slot. */
export const ASSUMED_JOB_MS = 30_000;

/**
 * Nor after more than this many intervals: a measured rate can collapse under faults (subscribers
 * killed, Redis away), and a lost message must not wait for a rate that no longer holds.
 */
export const CAP_INTERVALS = 10;

export function windowFloorMs(intervalMs: number): number {
  return Math.max(FLOOR_MS, 2 * intervalMs);
}

/** Jobs per second the fleet can be expected to finish; 0 when nothing is known. */
export function expectedRate(capacity: FleetCapacity): number {
  if (capacity.rate > 0) return capacity.rate;
  return capacity.slots > 0 ? (capacity.slots * 1000) / ASSUMED_JOB_MS : 0;
}

/**
 * How long after publishing the target at `position` (0-based, in this tick's order) it may be
 * announced again.
 */
export function reannounceAfterMs(capacity: FleetCapacity, position: number, intervalMs: number): number {
  if (capacity.durable) return DURABLE_HOLD_MS;
  const floor = windowFloorMs(intervalMs);
  const rate = expectedRate(capacity);
  if (rate <= 0) return floor;
  const expectedMs = ((capacity.ahead + position + 1) * 1000) / rate;
  return Math.min(Math.max(floor, CAP_INTERVALS * intervalMs), Math.max(floor, Math.ceil(SLACK * expectedMs)));
}
