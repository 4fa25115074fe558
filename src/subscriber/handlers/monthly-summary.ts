// monthly_summary: the month's daily summaries, plus the raw text of days without one → summarizer
// → diary_summary_months.
import { setAside } from '../../db/llm-batches.js';
import { markMonthlyProcessing, readMonthlyInput, saveMonthlyOutcome, setMonthlyStatus } from '../../db/summaries.js';
import type { MonthlySummaryMessage } from '../../messages.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { summarizeAndStore } from './store-outcome.js';

export async function handleMonthlySummary(msg: MonthlySummaryMessage, ctx: JobContext): Promise<JobOutcome> {
  const { db } = ctx;
  const input = await readMonthlyInput(db, msg.user_id, msg.year, msg.month);
  if (!input || input.entries.length === 0) return 'current';
  if (!input.needsSummary && msg.trigger !== 'manual') return 'current';
  const llm = await markMonthlyProcessing(db, msg.user_id, msg.year, msg.month);
  if (!llm) return 'current'; // the month vanished meanwhile
  const outcome = await summarizeAndStore(
    ctx,
    llm,
    { kind: 'monthly', entries: input.entries },
    (result) => saveMonthlyOutcome(db, msg.user_id, msg.year, msg.month, input.version, result),
    // Only the scheduler's jobs may wait in a provider batch: a user who asked waits live.
    msg.trigger === 'schedule'
      ? (call) => setAside(db, { kind: 'monthly', userId: msg.user_id, year: msg.year, month: msg.month }, input.version, call.model, call.body)
      : undefined,
  );
  // The input changed while it was summarized, or the budget is spent: back to queued.
  if (outcome === 'superseded' || outcome === 'deferred') await setMonthlyStatus(db, msg.user_id, msg.year, msg.month, 'queued');
  return outcome;
}
