// Jobs per minute over the last hour as an inline SVG bar chart (done stacked over failed).
import type { ThroughputPoint } from '../../../src/gen/diary/v1/admin_pb';
import { tsDate } from '../api';
import { useI18n } from '../i18n';

const W = 1100;
const H = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };
const MINUTES = 60;

function niceMax(v: number): number {
  if (v <= 4) return 4;
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= v) return m * pow;
  return 10 * pow;
}

export function ThroughputChart({ points, now }: { points: readonly ThroughputPoint[]; now: Date }) {
  const { t, lang } = useI18n();
  const endMinute = Math.floor(now.getTime() / 60_000);
  const startMinute = endMinute - MINUTES + 1;
  const buckets = Array.from({ length: MINUTES }, () => ({ done: 0, failed: 0 }));
  for (const p of points) {
    const d = tsDate(p.minute);
    if (!d) continue;
    const idx = Math.floor(d.getTime() / 60_000) - startMinute;
    const b = buckets[idx];
    if (b) {
      b.done += Number(p.done);
      b.failed += Number(p.failed);
    }
  }
  const peak = Math.max(...buckets.map((b) => b.done + b.failed), 0);
  const max = niceMax(peak);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / MINUTES;
  const barW = Math.max(1, slot - 2);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const fmt = (m: number) =>
    new Date(m * 60_000).toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-US', { hour: '2-digit', minute: '2-digit' });
  const totalDone = buckets.reduce((s, b) => s + b.done, 0);
  const totalFailed = buckets.reduce((s, b) => s + b.failed, 0);

  return (
    <figure className="chart" data-testid="throughput-chart" data-done={totalDone} data-failed={totalFailed}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${t.throughput}: ${totalDone} ${t.status.done}, ${totalFailed} ${t.status.failed}`}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="chart-grid" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="chart-label">
              {Number.isInteger(v) ? v : v.toFixed(1)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          const label = `${fmt(startMinute + i)} — ${b.done} ${t.status.done}, ${b.failed} ${t.status.failed}`;
          return (
            <g key={i}>
              <title>{label}</title>
              {b.done > 0 && <rect x={x} y={y(b.done)} width={barW} height={y(0) - y(b.done)} className="bar-done" />}
              {b.failed > 0 && (
                <rect x={x} y={y(b.done + b.failed)} width={barW} height={y(b.done) - y(b.done + b.failed)} className="bar-failed" />
              )}
            </g>
          );
        })}
        {[0, 15, 30, 45, 59].map((i) => (
          <text
            key={i}
            x={PAD.left + i * slot + slot / 2}
            y={H - 8}
            textAnchor={i === 0 ? 'start' : i === 59 ? 'end' : 'middle'}
            className="chart-label"
          >
            {fmt(startMinute + i)}
          </text>
        ))}
      </svg>
      <figcaption className="legend">
        <span className="legend-item">
          <span className="swatch swatch-done" /> {t.status.done} ({totalDone})
        </span>
        <span className="legend-item">
          <span className="swatch swatch-failed" /> {t.status.failed} ({totalFailed})
        </span>
      </figcaption>
    </figure>
  );
}
