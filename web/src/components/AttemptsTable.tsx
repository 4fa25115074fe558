// One job's attempts (the job history): when, trigger, delivery, queued and running time, outcome,
// error class and tokens; the subscriber column for operators only.
import type { JobAttempt } from '../../../src/gen/diary/v1/summaries_pb';
import { tsDate } from '../api';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';

const ms = (v: bigint) => (v < 1000n ? `${v} ms` : `${(Number(v) / 1000).toFixed(1)} s`);

export function AttemptsTable({ attempts, operator, testId }: { attempts: readonly JobAttempt[]; operator: boolean; testId: string }) {
  const { t, lang } = useI18n();
  if (attempts.length === 0) return <p className="muted" data-testid={`${testId}-empty`}>{t.none}</p>;
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t.finishedAt}</th>
          <th>{t.trigger}</th>
          {operator && <th>{t.subscriberCol}</th>}
          <th className="num">{t.deliveries}</th>
          <th className="num">{t.queued}</th>
          <th className="num">{t.running}</th>
          <th>{t.outcome}</th>
          <th>{t.errorClass}</th>
          <th className="num">{t.tokens}</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => (
          <tr key={i} data-testid="attempt" data-outcome={a.outcome} data-error-class={a.errorClass}>
            <td>{formatDateTime(tsDate(a.finishedAt), lang)}</td>
            <td>{a.trigger}</td>
            {operator && <td className="mono">{a.subscriber}</td>}
            <td className="num">{a.deliveryCount}</td>
            <td className="num">{ms(a.queuedMs)}</td>
            <td className="num">{ms(a.runningMs)}</td>
            <td className={a.outcome === 'failed' ? 'bad' : ''}>{t.outcomes[a.outcome] ?? a.outcome}</td>
            <td className="wrap" title={a.error}>
              {a.errorClass}
              {a.error && <div className="muted small">{a.error}</div>}
            </td>
            <td className="num">{a.inputTokens + a.outputTokens > 0 ? `${a.inputTokens} / ${a.outputTokens}` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
