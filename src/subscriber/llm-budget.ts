// USER_MAX_JOBS_PER_HOUR on the job path: a job that would reach an LLM first takes one of its
// user's jobs for the hour (shared by every subscriber through Redis). A job over the budget is
// not failed: it ends `deferred`, its handler puts the row back to `queued`, the delivery is
// acknowledged, and the scheduler publishes it again on a later tick.
import type { Summarizer } from '../summarizer/summarizer.js';
import type { JobContext } from './job-context.js';

/** True when the job may run now: no LLM (extractive), no budget configured, or the budget had room. */
export async function withinLlmBudget(ctx: JobContext, summarizer: Summarizer): Promise<boolean> {
  if (summarizer.provider === 'extractive' || !ctx.takeLlmJob) return true;
  const waitMs = await ctx.takeLlmJob();
  if (waitMs === 0) return true;
  ctx.logger.info({ wait_ms: waitMs }, "job deferred: the user's hourly LLM budget is spent; a later tick publishes it again");
  return false;
}
