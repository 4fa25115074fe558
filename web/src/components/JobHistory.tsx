// The dashboard's job history: recent jobs filtered by outcome and kind, and one job's attempts
// opened from its row.
import { useCallback, useEffect, useState } from 'react';
import type { JobSummary } from '../../../src/gen/diary/v1/admin_pb';
import type { JobAttempt } from '../../../src/gen/diary/v1/summaries_pb';
import { adminClient, errorMessage, tsDate } from '../api';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { AttemptsTable } from './AttemptsTable';
import { Notice } from './Notice';

const OUTCOMES = ['', 'failed', 'retrying', 'done', 'superseded'];

export function JobHistory({ refresh }: { refresh: number }) {
  const { t, lang } = useI18n();
  const [outcome, setOutcome] = useState('failed');
  const [kind, setKind] = useState('');
  const [jobs, setJobs] = useState<JobSummary[]>([]);
  const [open, setOpen] = useState<{ job: JobSummary; attempts: JobAttempt[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setJobs((await adminClient.listJobs({ outcome, kind, limit: 50 })).jobs);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [outcome, kind]);
  useEffect(() => void load(), [load, refresh]);

  async function openJob(job: JobSummary) {
    try {
      const res = await adminClient.getJob({ kind: job.kind, userId: job.userId, period: job.period });
      setOpen({ job, attempts: res.attempts });
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section className="card" data-testid="job-history">
      <div className="card-head">
        <h2>{t.jobHistory}</h2>
        <span>
          <select value={outcome} onChange={(e) => setOutcome(e.target.value)} data-testid="job-outcome-filter" aria-label={t.outcome}>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o === '' ? t.anyOutcome : (t.outcomes[o] ?? o)}
              </option>
            ))}
          </select>{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="job-kind-filter" aria-label={t.kind}>
            <option value="">{t.anyKind}</option>
            <option value="daily">{t.daily}</option>
            <option value="monthly">{t.monthly}</option>
          </select>
        </span>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {jobs.length === 0 ? (
        <p className="muted">{t.none}</p>
      ) : (
        <table className="table" data-testid="jobs">
          <thead>
            <tr>
              <th>{t.lastAttempt}</th>
              <th>{t.kind}</th>
              <th>{t.user}</th>
              <th>{t.period}</th>
              <th>{t.outcome}</th>
              <th>{t.errorClass}</th>
              <th className="num">{t.attempts}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={`${j.userId}/${j.kind}/${j.period}`} data-testid="job-row" data-outcome={j.outcome} data-period={j.period}>
                <td>{formatDateTime(tsDate(j.lastAt), lang)}</td>
                <td>{t[j.kind === 'monthly' ? 'monthly' : 'daily']}</td>
                <td className="mono">{j.email || j.userId}</td>
                <td>{j.period}</td>
                <td className={j.outcome === 'failed' ? 'bad' : ''}>{t.outcomes[j.outcome] ?? j.outcome}</td>
                <td>{j.errorClass}</td>
                <td className="num">{j.attempts}</td>
                <td>
                  <button type="button" className="btn btn-small" onClick={() => void openJob(j)} data-testid="open-job">
                    {t.openJob}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <div data-testid="job-detail" data-period={open.job.period}>
          <h3>
            {t[open.job.kind === 'monthly' ? 'monthly' : 'daily']} {open.job.period} · {open.job.email || open.job.userId}
          </h3>
          <AttemptsTable attempts={open.attempts} operator testId="job-attempts" />
        </div>
      )}
    </section>
  );
}
