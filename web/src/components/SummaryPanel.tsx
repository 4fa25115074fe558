// A daily or monthly summary with its real status, polled every 2 s (for at most 5 minutes) while
// a job is on its way, and a "summarize now" button.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Summary } from '../../../src/gen/diary/v1/summaries_pb';
import { Code, errorCode, errorMessage, statusName, tsDate, type StatusName } from '../api';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';
import { usePolling } from '../usePolling';
import { StatusBadge } from './StatusBadge';
import { Notice } from './Notice';

export const POLL_INTERVAL_MS = 2000;
export const POLL_MAX_MS = 5 * 60 * 1000;

const PENDING: ReadonlySet<StatusName> = new Set(['queued', 'processing', 'batched', 'stale']);

export interface Trigger {
  /** Increments on every save/request that should produce a new summary. */
  epoch: number;
  /** Results older than this belong to a previous job. */
  since?: Date;
}

interface Props {
  kind: 'daily' | 'monthly';
  title: string;
  load(): Promise<Summary>;
  request(): Promise<Summary | undefined>;
  /** Why "summarize now" is not offered (today, current month, no entry …); undefined: offered. */
  requestBlocked?: string;
  trigger: Trigger;
  /** Told about every status seen (the calendar updates its badge). */
  onStatus?(status: StatusName): void;
}

export function SummaryPanel({ kind, title, load, request, requestBlocked, trigger: outerTrigger, onStatus }: Props) {
  const { t, lang } = useI18n();
  const [summary, setSummary] = useState<Summary | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [requestError, setRequestError] = useState<string | null>(null);
  const [requestInfo, setRequestInfo] = useState<string | null>(null);
  const [requesting, setRequesting] = useState(false);
  const [trigger, setTrigger] = useState<Trigger>({ epoch: 0 });
  const seenPending = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;

  const refresh = useCallback(async () => {
    try {
      const s = await loadRef.current();
      setSummary(s);
      setLoadError(null);
      const name = statusName(s.status);
      if (PENDING.has(name)) seenPending.current = true;
      onStatusRef.current?.(name);
    } catch (err) {
      if (errorCode(err) === Code.NotFound) {
        setSummary(null);
        setLoadError(null);
        onStatusRef.current?.('none');
      } else setLoadError(errorMessage(err));
    }
  }, []);

  useEffect(() => {
    if (outerTrigger.epoch > 0) {
      seenPending.current = false;
      setTrigger((prev) => ({ epoch: prev.epoch + 1, since: outerTrigger.since }));
      void refresh();
    }
  }, [outerTrigger.epoch, outerTrigger.since, refresh]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const status: StatusName = summary ? statusName(summary.status) : 'none';
  const updatedAt = tsDate(summary?.updatedAt);
  const finished =
    (status === 'done' || status === 'failed') &&
    (seenPending.current || !trigger.since || !updatedAt || updatedAt.getTime() >= trigger.since.getTime() - 1000);
  const active = PENDING.has(status) || (trigger.epoch > 0 && !finished);
  const poll = usePolling(refresh, active, POLL_INTERVAL_MS, POLL_MAX_MS, trigger.epoch);

  async function requestNow() {
    setRequesting(true);
    setRequestError(null);
    setRequestInfo(null);
    try {
      const s = await request();
      if (s) setSummary(s);
      seenPending.current = false;
      setTrigger((prev) => ({ epoch: prev.epoch + 1, since: new Date(Date.now() - 2000) }));
      setRequestInfo(t.requested);
    } catch (err) {
      setRequestError(errorMessage(err));
    } finally {
      setRequesting(false);
    }
  }

  return (
    <section className="card summary-card" data-testid={`${kind}-summary`}>
      <header className="card-head">
        <h2>{title}</h2>
        <StatusBadge status={status} testId={`${kind}-summary-status`} />
      </header>
      <p className="muted small">{t.statusHelp[status]}</p>
      {loadError && <Notice kind="error">{loadError}</Notice>}
      {summary?.summary ? (
        <div className="summary-text" data-testid={`${kind}-summary-text`}>
          {summary.summary}
        </div>
      ) : (
        status !== 'failed' && status !== 'none' && <p className="muted">{t.noSummaryYet}</p>
      )}
      {summary?.error && (
        <Notice kind={status === 'failed' ? 'error' : 'info'} testId={`${kind}-summary-error`}>
          <strong>{status === 'failed' ? t.reason : t.retryReason}:</strong> {summary.error}
        </Notice>
      )}
      <dl className="meta">
        {summary?.model && (
          <>
            <dt>{t.model}</dt>
            <dd>{summary.model}</dd>
          </>
        )}
        {updatedAt && (
          <>
            <dt>{t.updated}</dt>
            <dd>{formatDateTime(updatedAt, lang)}</dd>
          </>
        )}
      </dl>
      {poll.running && (
        <p className="muted small polling" data-testid={`${kind}-polling`}>
          <span className="spinner" aria-hidden="true" /> {t.polling}
        </p>
      )}
      {poll.gaveUp && <p className="muted small">{t.pollingStopped}</p>}
      <div className="actions">
        <button
          type="button"
          className="btn"
          onClick={requestNow}
          disabled={requesting || requestBlocked !== undefined}
          title={requestBlocked}
          data-testid={`${kind}-summarize-now`}
        >
          {requesting ? t.requesting : t.summarizeNow}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => void refresh()}>
          {t.refresh}
        </button>
        {requestBlocked && <span className="muted small">{requestBlocked}</span>}
      </div>
      {requestError && (
        <Notice kind="error" testId={`${kind}-request-error`}>
          {requestError}
        </Notice>
      )}
      {requestInfo && !requestError && <Notice kind="info">{requestInfo}</Notice>}
    </section>
  );
}
