// The two scheduled jobs of the ADR: daily and monthly summaries.
import { dailySource, monthlySource } from '../db/announcements.js';
import { findDailyTargets, findMonthlyTargets, type DailyTarget, type MonthlyTarget, type TargetQueryOptions } from '../db/targets.js';
import { dailyMessage, monthlyMessage } from '../messages.js';
import { announceTargets } from './announce-targets.js';
import { publishTargets } from './publish-targets.js';
import type { ScheduledJob } from './scheduled-job.js';

export interface SummaryJobOptions {
  intervalMs: number;
  defaultTimezone: string;
  minChars: number;
}

/** DESIGN.md's default of SCHEDULER_MAX_PER_USER. */
export const DEFAULT_MAX_PER_USER = 100;

export function dailySummaryJob(opts: SummaryJobOptions): ScheduledJob {
  return {
    name: 'daily_summary',
    intervalMs: opts.intervalMs,
    run: async (ctx) => {
      const q: Omit<TargetQueryOptions, 'limit'> = { now: ctx.now, defaultTimezone: opts.defaultTimezone, minChars: opts.minChars };
      const toMessage = (t: DailyTarget) => dailyMessage(t.user_id, t.date, { now: ctx.now });
      if (ctx.fleet) {
        const allowance = await ctx.fleet.open(ctx.now, opts.intervalMs);
        return announceTargets(ctx, dailySource(ctx.db, q), toMessage, { allowance, maxPerUser: ctx.maxPerUser ?? DEFAULT_MAX_PER_USER });
      }
      return publishTargets<DailyTarget>(
        ctx,
        (limit, after) => findDailyTargets(ctx.db, { ...q, limit }, after),
        toMessage,
      );
    },
  };
}

export function monthlySummaryJob(opts: SummaryJobOptions): ScheduledJob {
  return {
    name: 'monthly_summary',
    intervalMs: opts.intervalMs,
    run: async (ctx) => {
      const q: Omit<TargetQueryOptions, 'limit'> = { now: ctx.now, defaultTimezone: opts.defaultTimezone, minChars: opts.minChars };
      const toMessage = (t: MonthlyTarget) => monthlyMessage(t.user_id, t.year, t.month, { now: ctx.now });
      if (ctx.fleet) {
        const allowance = await ctx.fleet.open(ctx.now, opts.intervalMs);
        return announceTargets(ctx, monthlySource(ctx.db, q), toMessage, { allowance, maxPerUser: ctx.maxPerUser ?? DEFAULT_MAX_PER_USER });
      }
      return publishTargets<MonthlyTarget>(
        ctx,
        (limit, after) => findMonthlyTargets(ctx.db, { ...q, limit }, after),
        toMessage,
      );
    },
  };
}
