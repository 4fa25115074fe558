// A real pino logger whose JSON lines land in an array, for tests that assert what was logged.
import { pino } from 'pino';
import type { Logger } from '../../src/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level?: number }>;
  /** Lines whose message is `msg`. */
  find(msg: string): Array<Record<string, unknown>>;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as CapturedLog['lines'][number]) });
  return { logger, lines, find: (msg) => lines.filter((l) => l.msg === msg) };
}

/** The value of a prom-client counter's series with exactly these labels (0 when absent). */
export async function counterValue(
  metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number | undefined> }> }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value ?? 0;
}
