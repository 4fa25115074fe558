// Pages through a target query and publishes one message per target; a failed publish is logged,
// counted and skipped (the next tick finds the target again).
import { messagesPublished } from '../metrics.js';
import type { JobMessage } from '../messages.js';
import type { TickContext, TickResult } from './scheduled-job.js';

/** Targets fetched per query; the cursor carries on from the last one. */
const PAGE = 1000;

export async function publishTargets<T>(
  ctx: TickContext,
  fetchPage: (limit: number, after: T | undefined) => Promise<T[]>,
  toMessage: (target: T) => JobMessage,
): Promise<TickResult> {
  const result: TickResult = { found: 0, published: 0, failed: 0 };
  let after: T | undefined;
  let firstError: string | undefined;
  for (;;) {
    const page = await fetchPage(PAGE, after);
    result.found += page.length;
    const messages = page.map(toMessage);
    // Concurrent publishes share the connection's pipeline instead of waiting one round trip each.
    const settled = await Promise.allSettled(messages.map((m) => ctx.publish(m)));
    settled.forEach((s, i) => {
      const type = (messages[i] as JobMessage).type;
      if (s.status === 'fulfilled') {
        result.published++;
        messagesPublished.inc({ type, outcome: 'ok' });
      } else {
        result.failed++;
        firstError ??= (s.reason as Error).message;
        messagesPublished.inc({ type, outcome: 'error' });
      }
    });
    if (page.length < PAGE) break;
    after = page[page.length - 1];
  }
  if (result.failed > 0) {
    ctx.logger.error({ failed: result.failed, err: firstError }, 'some publishes failed; the next tick retries them');
  }
  return result;
}
