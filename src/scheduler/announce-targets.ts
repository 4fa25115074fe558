// One tick of the announcing scheduler (issue 21): reads only the page it can admit, publishes
// each target once, and records the announcement in the database.
//
//  1. The fleet's allowance: how many messages the queue can take now (admission.ts).
//  2. Candidates, at most that many, SCHEDULER_MAX_PER_USER per user: targets whose Pub/Sub
//     announcement a subscriber may have dropped, then those past their window, then fresh
//     ones oldest due first. Each read is one page through a partial index.
//  3. Interleaved across users, recorded (before publishing: a subscriber's write that follows the
//     publish always clears it), published; failed publishes are forgotten again.
import { toError } from '../errors/job-errors.js';
import type { AnnounceSource } from '../db/announcements.js';
import { messagesPublished } from '../metrics.js';
import type { JobMessage } from '../messages.js';
import { withTimeout } from '../timeout.js';
import { PerUserCap, interleaveByUser } from './fair-order.js';
import { PUBLISH_TIMEOUT_MS } from './publish-targets.js';
import type { TickContext, TickResult } from './scheduled-job.js';
import type { Allowance } from './admission.js';

const PAGE = 1000;
/** Fresh rows read per admitted one at most: users over their cap are skipped, within reason. */
const SCAN_FACTOR = 10;

export interface AnnounceOptions {
  allowance: Allowance;
  maxPerUser: number;
}

async function candidates<T>(source: AnnounceSource<T>, allowance: Allowance, now: Date, maxPerUser: number): Promise<{ picked: T[]; capped: number }> {
  const room = allowance.room;
  const picked: T[] = [];
  const seen = new Set<string>();
  const cap = new PerUserCap(maxPerUser);
  let capped = 0;
  const offer = (rows: readonly T[]) => {
    for (const row of rows) {
      if (picked.length >= room) return;
      const key = source.keyOf(row);
      if (seen.has(key)) continue;
      seen.add(key);
      if (cap.take(source.userOf(row))) picked.push(row);
      else capped++;
    }
  };
  if (room <= 0) return { picked, capped };
  const { capacity } = allowance;
  if (!capacity.durable && capacity.lostAgoMs !== null) {
    offer(await source.lost(room, capacity.via, new Date(now.getTime() - capacity.lostAgoMs)));
  }
  if (picked.length < room) offer(await source.overdue(room - picked.length));
  let scanned = 0;
  let after: T | undefined;
  while (picked.length < room && scanned < room * SCAN_FACTOR + PAGE) {
    const page = await source.fresh(Math.min(PAGE, Math.max(room - picked.length + capped, 1)), after);
    scanned += page.length;
    offer(page);
    if (page.length === 0) break;
    after = page[page.length - 1];
  }
  return { picked, capped };
}

export async function announceTargets<T>(
  ctx: TickContext,
  source: AnnounceSource<T>,
  toMessage: (target: T) => JobMessage,
  opts: AnnounceOptions,
): Promise<TickResult> {
  const { allowance } = opts;
  const { picked, capped } = await candidates(source, allowance, ctx.now, opts.maxPerUser);
  const ordered = interleaveByUser(picked, source.userOf);
  const result: TickResult = { found: picked.length, published: 0, failed: 0 };
  let firstError: string | undefined;
  for (let start = 0; start < ordered.length; start += PAGE) {
    const chunk = ordered.slice(start, start + PAGE);
    await source.mark(chunk.map((target, i) => ({ target, again: allowance.reannounceAt(start + i) })), allowance.capacity.via, ctx.now);
    const messages = chunk.map(toMessage);
    const settled = await Promise.allSettled(messages.map((m) => withTimeout(ctx.publish(m), PUBLISH_TIMEOUT_MS, 'publish')));
    const failed: T[] = [];
    settled.forEach((s, i) => {
      const type = (messages[i] as JobMessage).type;
      if (s.status === 'fulfilled') {
        result.published++;
        messagesPublished.add(type, 'ok');
      } else {
        failed.push(chunk[i] as T);
        firstError ??= toError(s.reason).message;
        messagesPublished.add(type, 'error');
      }
    });
    allowance.spend(chunk.length - failed.length);
    result.failed += failed.length;
    await source.unmark(failed);
    // A chunk that failed whole means Redis is unreachable: the rest would fail the same way.
    if (failed.length === chunk.length) break;
  }
  if (result.failed > 0) {
    ctx.logger.error({ failed: result.failed, err: firstError }, 'some publishes failed; the next tick retries them');
  }
  ctx.logger.debug({ room: allowance.room, capped, via: allowance.capacity.via, ahead: allowance.capacity.ahead }, 'admission');
  return result;
}
