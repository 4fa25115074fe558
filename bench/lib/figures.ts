// One measured figure: every run's value, summarised as median and min–max.

/** 'fraction': a share from 0 to 1 (summary quality), shown without a unit. */
export type Unit = 'jobs/s' | 'msgs/s' | 'ms' | 's' | 'MiB' | 'count' | 'ratio' | 'fraction' | 'bytes';

export interface FigureSpec {
  /** Stable id, e.g. "transport.streams.drain". */
  id: string;
  group: string;
  label: string;
  /** The client and its pipelining mode, named beside every figure. */
  client: string;
  unit: Unit;
  /** Which way is better, for reading the table. */
  better?: 'higher' | 'lower';
  note?: string;
}

export interface Figure extends FigureSpec {
  values: number[];
  notes: string[];
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number, n: s.length };
}

export class FigureBook {
  readonly figures = new Map<string, Figure>();

  record(spec: FigureSpec, value: number, note?: string): void {
    let f = this.figures.get(spec.id);
    if (!f) {
      f = { ...spec, values: [], notes: [] };
      this.figures.set(spec.id, f);
    }
    f.values.push(value);
    if (note && !f.notes.includes(note)) f.notes.push(note);
  }

  get(id: string): Figure | undefined {
    return this.figures.get(id);
  }

  /** Per-run ratio a[i] / b[i] of two figures measured in the same runs. */
  ratio(spec: FigureSpec, numerator: string, denominator: string, scale = 1): void {
    const a = this.figures.get(numerator)?.values ?? [];
    const b = this.figures.get(denominator)?.values ?? [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      this.record(spec, (a[i] as number) / ((b[i] as number) * scale));
    }
  }
}

export function formatValue(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return '—';
  switch (unit) {
    case 'jobs/s':
    case 'msgs/s':
      return v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 1000 ? `${(v / 1000).toFixed(2)}k` : v.toFixed(1);
    case 'ms':
      // Below 10 ms two decimals: CPU per job is a few milliseconds, and a tenth is a third of a goal.
      return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
    case 's':
      return v.toFixed(2);
    case 'MiB':
      return v.toFixed(1);
    case 'ratio':
    case 'fraction':
      return v.toFixed(2);
    case 'count':
      // A count per job (system calls) is a few, and its tenths matter.
      if (v < 100 && !Number.isInteger(v)) return v.toFixed(1);
      return Math.round(v).toLocaleString('en-US');
    case 'bytes':
      return Math.round(v).toLocaleString('en-US');
  }
}
