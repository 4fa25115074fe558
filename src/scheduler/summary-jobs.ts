// The two scheduled jobs of the ADR: daily and monthly summaries.
import { findDailyTargets, findMonthlyTargets, type DailyTarget, type MonthlyTarget, type TargetQueryOptions } from '../db/targets.js';
import { dailyMessage, monthlyMessage } from '../messages.js';
import { publishTargets } from './publish-targets.js';
import type { ScheduledJob } from './scheduled-job.js';

export interface SummaryJobOptions {
  intervalMs: number;
  defaultTimezone: string;
  minChars: number;
}

export function dailySummaryJob(opts: SummaryJobOptions): ScheduledJob {
  return {
    name: 'daily_summary',
    intervalMs: opts.intervalMs,
    run: (ctx) => {
      const q: Omit<TargetQueryOptions, 'limit'> = { now: ctx.now, defaultTimezone: opts.defaultTimezone, minChars: opts.minChars };
      return publishTargets<DailyTarget>(
        ctx,
        (limit, after) => findDailyTargets(ctx.db, { ...q, limit }, after),
        (t) => dailyMessage(t.user_id, t.date, { now: ctx.now }),
      );
    },
  };
}

export function monthlySummaryJob(opts: SummaryJobOptions): ScheduledJob {
  return {
    name: 'monthly_summary',
    intervalMs: opts.intervalMs,
    run: (ctx) => {
      const q: Omit<TargetQueryOptions, 'limit'> = { now: ctx.now, defaultTimezone: opts.defaultTimezone, minChars: opts.minChars };
      return publishTargets<MonthlyTarget>(
        ctx,
        (limit, after) => findMonthlyTargets(ctx.db, { ...q, limit }, after),
        (t) => monthlyMessage(t.user_id, t.year, t.month, { now: ctx.now }),
      );
    },
  };
}
