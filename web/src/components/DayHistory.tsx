// A day's summary history on the day page: every recorded attempt at its summary (trigger, times,
// outcome, error class, tokens), refreshed while the page is open.
import { useCallback, useEffect, useState } from 'react';
import type { JobAttempt } from '../../../src/gen/diary/v1/summaries_pb';
import { summaryClient } from '../api';
import { useI18n } from '../i18n';
import { AttemptsTable } from './AttemptsTable';

const POLL_MS = 5000;

export function DayHistory({ date }: { date: string }) {
  const { t } = useI18n();
  const [attempts, setAttempts] = useState<JobAttempt[] | null>(null);
  const load = useCallback(async () => {
    try {
      setAttempts((await summaryClient.getDailyHistory({ date })).attempts);
    } catch {
      // the history is secondary: the summary panel reports an unreachable server
    }
  }, [date]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [load]);
  if (attempts === null) return null;
  return (
    <section className="card day-history" data-testid="day-history">
      <h2>{t.dayHistory}</h2>
      <AttemptsTable attempts={attempts} operator={false} testId="day-attempts" />
    </section>
  );
}
