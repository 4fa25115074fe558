// The month: a calendar of the signed-in user's entries with each day's summary status, and the
// monthly summary.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { DiaryDay } from '../../../src/gen/diary/v1/diaries_pb';
import { diaryClient, errorMessage, statusName, summaryClient, type StatusName } from '../api';
import { addMonths, daysInMonth, firstWeekday, isoDate, monthKey, monthOf, parseMonthKey, todayIn, type YearMonth } from '../dates';
import { useI18n } from '../i18n';
import { linkProps } from '../router';
import { useSession } from '../session';
import { usePolling } from '../usePolling';
import { StatusBadge } from '../components/StatusBadge';
import { Notice } from '../components/Notice';
import { SummaryPanel } from '../components/SummaryPanel';

const PENDING = new Set<StatusName>(['queued', 'processing', 'batched', 'stale']);

export function MonthPage({ month }: { month?: string }) {
  const { t } = useI18n();
  const { user } = useSession();
  const today = todayIn(user?.timezone);
  const current = monthOf(today);
  const ym: YearMonth | undefined = month ? parseMonthKey(month) : current;
  if (!ym) return <Notice kind="error">{t.notFound}</Notice>;
  return <MonthView key={monthKey(ym)} ym={ym} today={today} current={current} />;
}

function MonthView({ ym, today, current }: { ym: YearMonth; today: string; current: YearMonth }) {
  const { t } = useI18n();
  const [days, setDays] = useState<DiaryDay[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const res = await diaryClient.listDiaries({ year: ym.year, month: ym.month });
      setDays(res.days);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [ym.year, ym.month]);

  useEffect(() => {
    void load();
  }, [load]);

  const byDate = useMemo(() => {
    const m = new Map<string, DiaryDay>();
    for (const d of days ?? []) if (d.diary) m.set(d.diary.date, d);
    return m;
  }, [days]);

  const anyPending = (days ?? []).some((d) => PENDING.has(statusName(d.summaryStatus)));
  usePolling(load, anyPending, 5000, 5 * 60 * 1000);

  const isCurrentOrFuture = ym.year * 12 + ym.month >= current.year * 12 + current.month;
  const blocked = isCurrentOrFuture ? t.monthNotOver : days && days.length === 0 ? t.noEntriesMonth : undefined;

  const cells: ({ date: string; day: number } | null)[] = [];
  for (let i = 0; i < firstWeekday(ym); i++) cells.push(null);
  for (let d = 1; d <= daysInMonth(ym); d++) cells.push({ date: isoDate(ym.year, ym.month, d), day: d });
  while (cells.length % 7 !== 0) cells.push(null);

  const prev = addMonths(ym, -1);
  const next = addMonths(ym, 1);

  return (
    <div className="month-page" data-testid="month-page" data-month={monthKey(ym)}>
      <div className="page-head">
        <h1 data-testid="month-title">{t.monthTitle(ym.year, ym.month)}</h1>
        <div className="pager">
          <a className="btn btn-ghost" {...linkProps(`/month/${monthKey(prev)}`)} data-testid="prev-month">
            {t.prevMonth}
          </a>
          <a className="btn btn-ghost" {...linkProps(`/month/${monthKey(current)}`)}>
            {t.thisMonth}
          </a>
          <a className="btn btn-ghost" {...linkProps(`/month/${monthKey(next)}`)} data-testid="next-month">
            {t.nextMonth}
          </a>
        </div>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="layout-2">
        <section className="card calendar-card">
          <p className="muted small" data-testid="entry-count">
            {days ? t.entries(days.length) : t.loading}
          </p>
          <div className="calendar" role="grid" data-testid="calendar">
            {t.weekdays.map((w, i) => (
              <div key={w} className={`cal-weekday${i === 0 ? ' sun' : i === 6 ? ' sat' : ''}`} role="columnheader">
                {w}
              </div>
            ))}
            {cells.map((c, i) => {
              if (!c) return <div key={`x${i}`} className="cal-cell cal-empty" />;
              const entry = byDate.get(c.date);
              const status = entry ? statusName(entry.summaryStatus) : undefined;
              const classes = ['cal-cell'];
              if (entry) classes.push('has-entry');
              if (c.date === today) classes.push('is-today');
              if (c.date > today) classes.push('is-future');
              return (
                <a
                  key={c.date}
                  className={classes.join(' ')}
                  {...linkProps(`/day/${c.date}`)}
                  data-testid={`day-${c.date}`}
                  data-has-entry={entry ? 'true' : 'false'}
                  data-status={status ?? ''}
                  role="gridcell"
                >
                  <span className="cal-day">{c.day}</span>
                  {c.date === today && <span className="cal-today">{t.today}</span>}
                  {entry && (
                    <>
                      <span className="cal-excerpt">{entry.diary?.content.slice(0, 40)}</span>
                      <span className="cal-foot">
                        {status && status !== 'none' && status !== 'unspecified' ? (
                          <StatusBadge status={status} />
                        ) : (
                          <span className="muted tiny">{t.chars(entry.diary?.content.length ?? 0)}</span>
                        )}
                      </span>
                    </>
                  )}
                </a>
              );
            })}
          </div>
        </section>
        <SummaryPanel
          kind="monthly"
          title={t.monthlySummary}
          load={() => summaryClient.getMonthlySummary({ year: ym.year, month: ym.month })}
          request={async () =>
            (await summaryClient.requestSummary({ target: { case: 'month', value: monthKey(ym) } })).summary
          }
          requestBlocked={blocked}
          trigger={{ epoch: 0 }}
        />
      </div>
    </div>
  );
}
