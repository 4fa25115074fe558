// Pages through a target query and publishes one message per target; a failed publish is logged,
// counted and skipped (the next tick finds the target again). Each publish is bounded in time:
// while Redis is away a command waits in the client's queue, and a tick must end.
import { toError } from '../errors/job-errors.js';
import { messagesPublished } from '../metrics.js';
import type { JobMessage } from '../messages.js';
import { withTimeout } from '../timeout.js';
import type { TickContext, TickResult } from './scheduled-job.js';

/** Targets fetched per query; the cursor carries on from the last one. */
const PAGE = 1000;
/** Longest wait for Redis to accept one message. */
export const PUBLISH_TIMEOUT_MS = 5000;

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
    const settled = await Promise.allSettled(messages.map((m) => withTimeout(ctx.publish(m), PUBLISH_TIMEOUT_MS, 'publish')));
    let pageFailed = 0;
    settled.forEach((s, i) => {
      const type = (messages[i] as JobMessage).type;
      if (s.status === 'fulfilled') {
        result.published++;
        messagesPublished.add(type, 'ok');
      } else {
        pageFailed++;
        firstError ??= toError(s.reason).message;
        messagesPublished.add(type, 'error');
      }
    });
    result.failed += pageFailed;
    // A page that failed whole means Redis is unreachable: the rest would fail the same way.
    if (page.length < PAGE || (pageFailed > 0 && pageFailed === page.length)) break;
    after = page[page.length - 1];
  }
  if (result.failed > 0) {
    ctx.logger.error({ failed: result.failed, err: firstError }, 'some publishes failed; the next tick retries them');
  }
  return result;
}
