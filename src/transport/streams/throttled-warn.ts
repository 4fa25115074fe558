// Warnings about a condition that can last (Redis away), said once a minute per kind, not once per
// retry: the log stays readable through an outage.
import { systemClock, type Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';

export type ThrottledWarn = (kind: string, fields: Record<string, unknown>, msg: string) => void;

export function throttledWarn(logger: Logger, clock: Clock = systemClock, everyMs = 60_000): ThrottledWarn {
  const warnedAt = new Map<string, number>();
  return (kind, fields, msg) => {
    const now = clock.now();
    if (now - (warnedAt.get(kind) ?? -Infinity) < everyMs) return;
    warnedAt.set(kind, now);
    logger.warn(fields, msg);
  };
}
