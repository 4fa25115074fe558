// Shared pieces of the scenarios: options, job messages, a stub database, waiting helpers.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db, Queryable } from '../../src/db/db.js';
import { dailyMessage, type JobMessage } from '../../src/messages.js';
import type { FigureBook } from './figures.js';

export interface BenchContext {
  book: FigureBook;
  runs: number;
  quick: boolean;
  /** Only figures whose id contains one of these run (empty: all). */
  filter: string[];
  log(line: string): void;
  /** A measurement that failed: reported under Errors, the others go on. */
  error(line: string): void;
}

/**
 * A positive whole number from the environment variable `name` (a bench setting), or `fallback`
 * when it is unset. Anything else stops the bench with the variable's name, before any measurement.
 */
export function envCount(name: string, fallback?: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') {
    if (fallback === undefined) throw new Error(`${name} is required: a positive whole number`);
    return fallback;
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

/** The environment variable `name`, which must be set (a child process's setting from the bench). */
export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

export function wanted(ctx: BenchContext, id: string): boolean {
  return ctx.filter.length === 0 || ctx.filter.some((f) => id.includes(f));
}

/** `n` daily jobs for distinct (user, date) pairs: n/100 users × 100 days of 2024. */
export function dailyJobs(n: number): JobMessage[] {
  const out: JobMessage[] = [];
  const users = Array.from({ length: Math.ceil(n / 100) }, () => randomUUID());
  const base = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const date = new Date(base + (i % 100) * 86_400_000).toISOString().slice(0, 10);
    out.push(dailyMessage(users[Math.floor(i / 100)] as string, date));
  }
  return out;
}

/**
 * A database that has no rows: the daily handler reads its diary, finds none and settles the job
 * as "current". The job runner's path (claim, timeout, dispatch, metrics, release) is unchanged.
 */
export function emptyDb(): Db {
  const q: Queryable = {
    async query<R>(): Promise<R[]> {
      return [];
    },
    async exec() {},
  };
  return { kind: 'postgres', ...q, transaction: (fn) => fn(q), close: async () => {} };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolves when `done()` is true; rejects when `progress()` has not moved for `stallMs` or
 * `timeoutMs` passed.
 */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  opts: { progress?: () => number; stallMs?: number; timeoutMs?: number; everyMs?: number; what: string },
): Promise<void> {
  const start = Date.now();
  let last = opts.progress?.() ?? 0;
  let lastMoved = Date.now();
  for (;;) {
    if (await done()) return;
    const now = Date.now();
    if (opts.progress) {
      const p = opts.progress();
      if (p !== last) {
        last = p;
        lastMoved = now;
      } else if (now - lastMoved > (opts.stallMs ?? 15_000)) {
        throw new Error(`${opts.what}: no progress for ${opts.stallMs ?? 15_000} ms (at ${p})`);
      }
    }
    if (now - start > (opts.timeoutMs ?? 600_000)) throw new Error(`${opts.what}: timed out`);
    await sleep(opts.everyMs ?? 5);
  }
}

/** Resident set size of a process, from /proc (Linux), in MiB. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Splits into chunks of `size`. */
export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Rotates `xs` by `r`, so each run starts with a different scenario (no fixed order bias). */
export function rotate<T>(xs: readonly T[], r: number): T[] {
  if (xs.length === 0) return [];
  const k = r % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** Reads one sample (counter or gauge, optionally with labels) from a Prometheus text page. */
export function promValue(text: string, name: string, labels?: Record<string, string>): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    const v = Number(line.split(' ').pop());
    if (Number.isFinite(v)) {
      sum += v;
      found = true;
    }
  }
  return found ? sum : 0;
}
