// The operations dashboard (admins): transport, subscribers, the fleet's rates and processes,
// scheduler ticks, summaries by status, the pending list and dead letters (streams), and
// throughput over the last hour.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DeadLetter, Overview } from '../../../src/gen/diary/v1/admin_pb';
import { adminClient, errorMessage, tsDate } from '../api';
import { formatDateTime, formatDuration } from '../dates';
import { useI18n } from '../i18n';
import { Notice } from '../components/Notice';
import { FleetTable } from '../components/FleetTable';
import { JobHistory } from '../components/JobHistory';
import { ThroughputChart } from '../components/ThroughputChart';

const POLL_MS = 5000;

export function DashboardPage() {
  const { t, lang } = useI18n();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [fetchedAt, setFetchedAt] = useState<Date>(new Date());
  const [error, setError] = useState<string | null>(null);
  const [dead, setDead] = useState<DeadLetter[]>([]);
  const [replayInfo, setReplayInfo] = useState<string | null>(null);
  const [replayError, setReplayError] = useState<string | null>(null);
  const busy = useRef(false);
  // Bumped by each poll, so the job history refreshes with the rest.
  const [refresh, setRefresh] = useState(0);

  const load = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const o = await adminClient.getOverview({});
      const now = Date.now();
      setOverview(o);
      setRefresh((n) => n + 1);
      setFetchedAt(new Date(now));
      setError(null);
      if (o.transport === 'streams') {
        const dl = await adminClient.listDeadLetters({ limit: 50 });
        setDead(dl.entries);
      } else setDead([]);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      busy.current = false;
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [load]);

  async function replay(ids: string[], all: boolean) {
    setReplayError(null);
    setReplayInfo(null);
    try {
      const res = await adminClient.replayDeadLetters({ ids, all });
      setReplayInfo(t.replayed(res.replayed));
      await load();
    } catch (err) {
      setReplayError(errorMessage(err));
    }
  }

  if (!overview) {
    return (
      <div className="dashboard-page" data-testid="dashboard-page">
        <h1>{t.dashboardTitle}</h1>
        {error ? <Notice kind="error">{error}</Notice> : <p className="loading">{t.loading}</p>}
      </div>
    );
  }

  const streams = overview.transport === 'streams';
  // The fleet's growth over the last minute, as every process reported it.
  const rates = overview.perMinute;
  const rate = (v: bigint | undefined) => String(v ?? 0n);
  const llm = overview.llmMonth;
  const statuses = ['queued', 'processing', 'batched', 'done', 'failed', 'stale'];
  const counts = new Map<string, number>();
  for (const s of overview.summaries) counts.set(`${s.kind}/${s.status}`, Number(s.count));
  const extraStatuses = [...new Set(overview.summaries.map((s) => s.status))].filter((s) => !statuses.includes(s));

  return (
    <div className="dashboard-page" data-testid="dashboard-page">
      <div className="page-head">
        <h1>{t.dashboardTitle}</h1>
        <span className="muted small" data-testid="dashboard-updated">
          {t.lastUpdated}: {formatDateTime(fetchedAt, lang)}
        </span>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="stats">
        <Stat label={t.transport} value={overview.transport} testId="stat-transport" />
        <Stat label={t.subscribers} value={overview.subscribers} testId="stat-subscribers" warn={overview.subscribers === 0} />
        <Stat label={t.inFlight} value={Number(overview.inFlight)} testId="stat-in-flight" />
        <Stat label={t.processedPerMin} value={rate(rates?.processed)} testId="stat-processed-rate" />
        <Stat label={t.failedPerMin} value={rate(rates?.failed)} testId="stat-failed-rate" warn={(rates?.failed ?? 0n) > 0n} />
        <Stat label={t.rejectedPerMin} value={rate(rates?.rejected)} testId="stat-rejected-rate" warn={(rates?.rejected ?? 0n) > 0n} />
        <Stat label={t.shedPerMin} value={rate(rates?.shed)} testId="stat-shed-rate" warn={(rates?.shed ?? 0n) > 0n} />
        {llm && (
          <>
            <Stat label={t.llmTokensMonth(llm.month)} value={formatTokens(llm.inputTokens + llm.outputTokens)} testId="stat-llm-tokens" />
            <Stat
              label={t.llmCostMonth}
              value={llm.models.some((m) => m.priced) ? llm.cost.toFixed(2) + (llm.unpricedModels.length > 0 ? ` (${t.llmCostUnpriced(llm.unpricedModels.join(', '))})` : '') : '—'}
              testId="stat-llm-cost"
              warn={llm.unpricedModels.length > 0}
            />
            <Stat label={t.llmBatchShare} value={`${Math.round(llm.batchShare * 100)} %`} testId="stat-llm-batch-share" />
          </>
        )}
        {streams && (
          <>
            <Stat label={t.streamLength} value={Number(overview.streamLength)} testId="stat-stream-length" />
            <Stat label={t.pending} value={Number(overview.pending)} testId="stat-pending" />
            <Stat label={t.oldestPending} value={formatDuration(Number(overview.oldestPendingMs))} testId="stat-oldest-pending" />
            <Stat
              label={t.deadLetters}
              value={Number(overview.deadLetters)}
              testId="stat-dead-letters"
              warn={Number(overview.deadLetters) > 0}
            />
          </>
        )}
      </div>
      <p
        className="muted small"
        data-testid="totals"
        data-processed={String(overview.processedTotal)}
        data-failed={String(overview.failedTotal)}
        data-rejected={String(overview.rejectedTotal)}
        data-shed={String(overview.shedTotal)}
        data-in-flight={String(overview.inFlight)}
      >
        {t.totals(Number(overview.processedTotal), Number(overview.failedTotal), Number(overview.rejectedTotal), Number(overview.shedTotal))}
      </p>

      <FleetTable members={overview.fleet} />
      <JobHistory refresh={refresh} />

      <section className="card">
        <h2>{t.throughput}</h2>
        <ThroughputChart points={overview.throughput} now={tsDate(overview.throughputUntil) ?? fetchedAt} />
      </section>

      <div className="layout-2 even">
        <section className="card">
          <h2>{t.schedulerTicks}</h2>
          {overview.ticks.length === 0 ? (
            <p className="muted">{t.none}</p>
          ) : (
            <table className="table" data-testid="ticks">
              <thead>
                <tr>
                  <th>{t.job}</th>
                  <th>{t.startedAt}</th>
                  <th className="num">{t.found}</th>
                  <th className="num">{t.published}</th>
                  <th className="num">{t.failed}</th>
                </tr>
              </thead>
              <tbody>
                {overview.ticks.map((tick, i) => (
                  <tr key={`${tick.job}-${i}`}>
                    <td>{tick.job}</td>
                    <td>{formatDateTime(tsDate(tick.startedAt), lang)}</td>
                    <td className="num">{tick.found}</td>
                    <td className="num">{tick.published}</td>
                    <td className={`num${tick.failed > 0 ? ' bad' : ''}`}>{tick.failed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card">
          <h2>{t.summariesByStatus}</h2>
          <table className="table" data-testid="summaries-by-status">
            <thead>
              <tr>
                <th>{t.kind}</th>
                {[...statuses, ...extraStatuses].map((s) => (
                  <th key={s} className="num">
                    {t.status[s] ?? s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(['daily', 'monthly'] as const).map((kind) => (
                <tr key={kind}>
                  <td>{t[kind]}</td>
                  {[...statuses, ...extraStatuses].map((s) => (
                    <td key={s} className={`num status-cell-${s}`} data-testid={`count-${kind}-${s}`}>
                      {counts.get(`${kind}/${s}`) ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>

      <div className="layout-2 even">
        <section className="card">
          <h2>{t.pendingList}</h2>
          {!streams ? (
            <p className="muted">{t.streamsOnly}</p>
          ) : overview.pendingEntries.length === 0 ? (
            <p className="muted">{t.none}</p>
          ) : (
            <table className="table" data-testid="pending-entries">
              <thead>
                <tr>
                  <th>{t.consumer}</th>
                  <th className="num">{t.pending}</th>
                  <th className="num">{t.idle}</th>
                </tr>
              </thead>
              <tbody>
                {overview.pendingEntries.map((p) => (
                  <tr key={p.consumer}>
                    <td className="mono">{p.consumer}</td>
                    <td className="num">{String(p.pending)}</td>
                    <td className="num">{formatDuration(Number(p.idleMs))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" data-testid="dead-letters">
          <div className="card-head">
            <h2>{t.deadLetters}</h2>
            {streams && dead.length > 0 && (
              <button type="button" className="btn" onClick={() => void replay([], true)} data-testid="replay-all">
                {t.replayAll}
              </button>
            )}
          </div>
          {replayError && <Notice kind="error">{replayError}</Notice>}
          {replayInfo && <Notice kind="ok">{replayInfo}</Notice>}
          {!streams ? (
            <p className="muted">{t.streamsOnly}</p>
          ) : dead.length === 0 ? (
            <p className="muted">{t.none}</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>{t.data}</th>
                  <th>{t.error}</th>
                  <th className="num">{t.deliveries}</th>
                  <th>{t.failedAt}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {dead.map((d) => (
                  <tr key={d.id}>
                    <td className="mono wrap">{d.data}</td>
                    <td className="wrap">{d.error}</td>
                    <td className="num">{d.deliveries}</td>
                    <td>{formatDateTime(tsDate(d.failedAt), lang)}</td>
                    <td>
                      <button type="button" className="btn btn-small" onClick={() => void replay([d.id], false)}>
                        {t.replay}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}

/** 1234567 → "1.23 M": the month's tokens at a glance. */
function formatTokens(n: bigint): string {
  const v = Number(n);
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return String(v);
}

function Stat({ label, value, testId, warn }: { label: string; value: string | number; testId: string; warn?: boolean }) {
  return (
    <div className={`stat${warn ? ' warn' : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
}
