// SummaryService: the caller's daily and monthly summaries with their real status, a day's summary
// history, and a manual "summarize now" that is rate-limited per user and refused for today and
// the current month.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { Db } from '../../db/db.js';
import { getDiary } from '../../db/diaries.js';
import { jobAttempts } from '../../db/job-history.js';
import { setDailyStatus, setMonthlyStatus } from '../../db/summaries.js';
import { dailySummaryView, monthHasDiaries, monthlySummaryView } from '../../db/summary-views.js';
import { SummaryService } from '../../gen/diary/v1/summaries_pb.js';
import type { Logger } from '../../logger.js';
import { dailyMessage, monthlyMessage } from '../../messages.js';
import type { Transport } from '../../transport/transport.js';
import { callerOf } from '../auth.js';
import { isPastMonth, todayIn } from '../../calendar.js';
import { publishJob } from '../publish-job.js';
import type { RequestLimiter } from '../../transport/limits.js';
import { toJobAttempt } from '../job-history-view.js';
import { toSummary } from '../summary-status.js';
import { invalid, parseMonth, requireDate, requireMonth } from '../validate.js';

export interface SummaryServiceDeps {
  db: Db;
  transport: Pick<Transport, 'publish'>;
  logger: Logger;
  minChars: number;
  /** Manual requests per user. */
  requestLimiter: RequestLimiter;
  now?: () => Date;
}

function refused(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function summaryService(deps: SummaryServiceDeps): ServiceImpl<typeof SummaryService> {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();

  const limit = async (userId: string) => {
    const waitMs = await deps.requestLimiter.take(userId);
    if (waitMs > 0) {
      throw new ConnectError(`too many summary requests: try again in ${Math.ceil(waitMs / 1000)}s`, Code.ResourceExhausted);
    }
  };

  const published = async (ok: boolean) => {
    if (!ok) throw new ConnectError('the job queue is unreachable right now; the scheduler will run this summary on its next tick', Code.Unavailable);
  };

  return {
    async getDailySummary(req, ctx) {
      const caller = callerOf(ctx);
      return toSummary(await dailySummaryView(db, caller.userId, requireDate(req.date)));
    },
    async getDailyHistory(req, ctx) {
      const caller = callerOf(ctx);
      const rows = await jobAttempts(db, caller.userId, 'daily', requireDate(req.date));
      return { attempts: rows.map((r) => toJobAttempt(r, 'user')) };
    },
    async getMonthlySummary(req, ctx) {
      const caller = callerOf(ctx);
      requireMonth(req.year, req.month);
      return toSummary(await monthlySummaryView(db, caller.userId, req.year, req.month));
    },
    async requestSummary(req, ctx) {
      const caller = callerOf(ctx);
      const target = req.target;
      if (target.case === 'date') {
        const date = requireDate(target.value);
        const today = todayIn(caller.timezone, now());
        if (date >= today) {
          throw refused(
            `${date === today ? "today's diary" : 'a future day'} is summarized after the day ends in your time zone (${caller.timezone}); today there is ${today}`,
          );
        }
        await limit(caller.userId);
        const diary = await getDiary(db, caller.userId, date);
        if (!diary) throw new ConnectError(`no diary on ${date}`, Code.NotFound);
        const chars = [...diary.content].length;
        if (chars < deps.minChars) throw refused(`the diary of ${date} is too short for a summary: ${chars} of ${deps.minChars} characters`);
        await setDailyStatus(db, caller.userId, date, 'queued');
        await published(await publishJob(deps.transport, dailyMessage(caller.userId, date, { trigger: 'manual' }), deps.logger));
        return { summary: toSummary(await dailySummaryView(db, caller.userId, date)) };
      }
      if (target.case === 'month') {
        const [year, month] = parseMonth(target.value);
        if (!isPastMonth(year, month, caller.timezone, now())) {
          throw refused(`a month is summarized after it ends in your time zone (${caller.timezone}); ${target.value} has not ended`);
        }
        await limit(caller.userId);
        if (!(await monthHasDiaries(db, caller.userId, year, month))) {
          throw new ConnectError(`no diary in ${target.value}`, Code.NotFound);
        }
        await setMonthlyStatus(db, caller.userId, year, month, 'queued');
        await published(await publishJob(deps.transport, monthlyMessage(caller.userId, year, month, { trigger: 'manual' }), deps.logger));
        return { summary: toSummary(await monthlySummaryView(db, caller.userId, year, month)) };
      }
      throw invalid('set either date (YYYY-MM-DD) or month (YYYY-MM)');
    },
  };
}
