// The dashboard's processes: every live process of the fleet with what it last reported.
import type { FleetMember } from '../../../src/gen/diary/v1/admin_pb';
import { tsDate } from '../api';
import { formatDateTime } from '../dates';
import { useI18n } from '../i18n';

export function FleetTable({ members }: { members: readonly FleetMember[] }) {
  const { t, lang } = useI18n();
  return (
    <section className="card">
      <h2>{t.fleet}</h2>
      {members.length === 0 ? (
        <p className="muted">{t.none}</p>
      ) : (
        <table className="table" data-testid="fleet">
          <thead>
            <tr>
              <th>{t.role}</th>
              <th>{t.host}</th>
              <th className="num">{t.pid}</th>
              <th>{t.version}</th>
              <th className="num">{t.concurrency}</th>
              <th className="num">{t.inFlight}</th>
              <th className="num">{t.processed}</th>
              <th className="num">{t.failed}</th>
              <th>{t.lastSeen}</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.instance} data-testid="fleet-member" data-role={m.role} data-processed={String(m.totals?.processed ?? 0n)}>
                <td>{m.role}</td>
                <td className="mono">{m.host}</td>
                <td className="num">{m.pid}</td>
                <td>{m.version}</td>
                <td className="num">{m.concurrency}</td>
                <td className="num">{String(m.inFlight)}</td>
                <td className="num">{String(m.totals?.processed ?? 0n)}</td>
                <td className={`num${(m.totals?.failed ?? 0n) > 0n ? ' bad' : ''}`}>{String(m.totals?.failed ?? 0n)}</td>
                <td>{formatDateTime(tsDate(m.lastSeen), lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
