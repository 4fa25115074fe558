// One handler per message type; the Record makes the compiler check that every type is handled.
import type { JobMessage, JobType } from '../../messages.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { handleDailySummary } from './daily-summary.js';
import { handleMonthlySummary } from './monthly-summary.js';

type HandlerFor<T extends JobType> = (msg: Extract<JobMessage, { type: T }>, ctx: JobContext) => Promise<JobOutcome>;

export const handlers: { [T in JobType]: HandlerFor<T> } = {
  daily_summary: handleDailySummary,
  monthly_summary: handleMonthlySummary,
};

export function dispatch(msg: JobMessage, ctx: JobContext): Promise<JobOutcome> {
  return msg.type === 'daily_summary' ? handlers.daily_summary(msg, ctx) : handlers.monthly_summary(msg, ctx);
}
