// daily_summary: the day's diary → summarizer → diary_summary_days.
import { readDailyInput, saveDailyOutcome, setDailyStatus } from '../../db/summaries.js';
import type { DailySummaryMessage } from '../../messages.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { summarizeAndStore } from './store-outcome.js';

export async function handleDailySummary(msg: DailySummaryMessage, ctx: JobContext): Promise<JobOutcome> {
  const { db } = ctx;
  const diary = await readDailyInput(db, msg.user_id, msg.date);
  if (!diary || diary.chars < ctx.minChars) return 'current';
  // An up-to-date summary is never regenerated; only a manual request (or a dead-letter replay)
  // retries one that failed permanently.
  if (!diary.needsSummary && msg.trigger !== 'manual') return 'current';
  const outcome = await summarizeAndStore(
    ctx,
    msg.user_id,
    { kind: 'daily', entries: [{ date: msg.date, text: diary.content }] },
    () => setDailyStatus(db, msg.user_id, msg.date, 'processing'),
    (result) => saveDailyOutcome(db, msg.user_id, msg.date, diary.version, result),
  );
  // The input changed while it was summarized: the row goes back to queued for the new version.
  if (outcome === 'superseded') await setDailyStatus(db, msg.user_id, msg.date, 'queued');
  return outcome;
}
