// daily_summary: the day's diary → summarizer → diary_summary_days.
import { setAside } from '../../db/llm-batches.js';
import { saveDailyOutcome, setDailyStatus, startDailyJob } from '../../db/summaries.js';
import type { DailySummaryMessage } from '../../messages.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { summarizeAndStore } from './store-outcome.js';

export async function handleDailySummary(msg: DailySummaryMessage, ctx: JobContext): Promise<JobOutcome> {
  const { db } = ctx;
  // An up-to-date summary is never regenerated; only a manual request (or a dead-letter replay)
  // retries one that failed permanently. Reading, marking `processing` and fetching the user's
  // LLM settings are one round trip.
  const job = await startDailyJob(db, msg.user_id, msg.date, { minChars: ctx.minChars, force: msg.trigger === 'manual' });
  if (!job) return 'current';
  const outcome = await summarizeAndStore(
    ctx,
    job.llm,
    { kind: 'daily', entries: [{ date: msg.date, text: job.input.content }] },
    (result) => saveDailyOutcome(db, msg.user_id, msg.date, job.input.version, result),
    // Only the scheduler's jobs may wait in a provider batch: a user who saved or asked waits live.
    msg.trigger === 'schedule'
      ? (call) => setAside(db, { kind: 'daily', userId: msg.user_id, date: msg.date }, job.input.version, call.model, call.body)
      : undefined,
  );
  // The input changed while it was summarized, or the budget is spent: back to queued.
  if (outcome === 'superseded' || outcome === 'deferred') await setDailyStatus(db, msg.user_id, msg.date, 'queued');
  return outcome;
}
