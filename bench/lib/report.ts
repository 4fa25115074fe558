// Markdown and JSON for bench/results/.
import { formatValue, summarize, type Figure } from './figures.js';
import type { MachineFacts } from './machine.js';

export interface Report {
  date: string;
  command: string;
  runs: number;
  quick: boolean;
  durationSeconds: number;
  machine: MachineFacts;
  figures: Figure[];
  /** Headline lines for the README. */
  headlines: string[];
  notes: string[];
  errors: string[];
}

const GROUP_TITLES: Record<string, string> = {
  transport: '1. Transport: no-op jobs (no database, no LLM)',
  llm: '2. LLM-bound: daily jobs, fake LLM answering in 200 ms, real PostgreSQL writes',
  scheduler: '3. Scheduler: one tick, 1,000 due',
  memory: '4. Memory and bursts (real `subscriber` process)',
  quality: '5. Summary quality: generated months, extractive and openai (fake LLM, fixed script)',
};

export function toMarkdown(r: Report): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`# Benchmarks, ${r.date}`, '');
  lines.push(`Command: \`${r.command}\` — ${r.runs} run(s) of every scenario, interleaved (each run starts at a different scenario) so that the ratios compare figures taken side by side on the same noisy machine. Took ${(r.durationSeconds / 60).toFixed(1)} min.${r.quick ? ' **Quick (smoke) mode: small sizes, not for quoting.**' : ''}`, '');
  lines.push('## Machine', '');
  lines.push('| fact | value |', '|---|---|');
  lines.push(`| CPU | ${m.cpuModel} |`, `| cores | ${m.cores} |`, `| memory | ${m.memoryGiB} GiB |`, `| OS | ${m.os} |`);
  lines.push(`| Node | ${m.node} |`, `| Redis server | ${m.redisServer} (a private redis-server per scenario, no persistence) |`, `| PostgreSQL | ${m.postgres} |`);
  lines.push(`| clients | ${Object.entries(m.clients).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
  lines.push(`| load average (1, 5, 15 min) | at start ${m.loadAverageAtStart.join(', ')}; at end ${(m.loadAverageAtEnd ?? []).join(', ')} |`, '');
  if (r.headlines.length > 0) {
    lines.push('## Headline', '');
    for (const h of r.headlines) lines.push(`- ${h}`);
    lines.push('');
  }
  const groups = [...new Set(r.figures.map((f) => f.group))];
  for (const g of groups) {
    lines.push(`## ${GROUP_TITLES[g] ?? g}`, '');
    lines.push('| figure | client and pipelining mode | median | min – max | runs |', '|---|---|---:|---:|---:|');
    for (const f of r.figures.filter((x) => x.group === g)) {
      const s = summarize(f.values);
      const unit = f.unit === 'ratio' ? '×' : f.unit === 'fraction' ? '' : ` ${f.unit}`;
      const label = f.notes.length > 0 ? `${f.label} (${f.notes.join('; ')})` : f.label;
      lines.push(`| ${label} | ${f.client} | **${formatValue(s.median, f.unit)}${unit}** | ${formatValue(s.min, f.unit)} – ${formatValue(s.max, f.unit)} | ${s.n} |`);
    }
    lines.push('');
  }
  if (r.notes.length > 0) {
    lines.push('## Notes', '');
    for (const n of r.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  if (r.errors.length > 0) {
    lines.push('## Errors', '');
    for (const e of r.errors) lines.push(`- ${e}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function toJson(r: Report): string {
  return `${JSON.stringify(
    { ...r, figures: r.figures.map((f) => ({ ...f, summary: summarize(f.values) })) },
    null,
    2,
  )}\n`;
}
