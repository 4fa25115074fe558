// The invariants a chaos run ends with, each a list of violations (empty: it holds), and the
// LLM-call histogram per job version.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { FakeLlmRequest } from '../helpers/fake-llm.js';
import type { LogLine } from '../helpers/cli.js';
import type { TermRecord, ExitRecord } from './fleet.js';
import { TERM_BOUND_MS } from './fleet.js';
import type { FaultKind } from './fault-plan.js';

/** A fault as it was injected: when it began and ended (instant ones end when they begin). */
export interface InjectedFault {
  kind: FaultKind;
  target: number;
  start: number;
  end: number;
}

/** Every seeded diary is due (past dates, long enough): its summary must be done, of its present text. */
export async function checkSummaries(pool: pg.Pool, poisonedUser: string | undefined): Promise<string[]> {
  const out: string[] = [];
  const { rows: days } = await pool.query<{ user_id: string; date: string; content: string; version: number; needs: boolean; status: string | null; summary: string | null; source_version: number | null }>(
    `SELECT d.user_id::text, d.date::text, d.content, d.version, d.needs_daily_summary AS needs,
            s.status, s.summary, s.source_version
       FROM diaries d LEFT JOIN diary_summary_days s USING (user_id, date)
      WHERE d.user_id IS DISTINCT FROM $1::uuid ORDER BY d.user_id, d.date`,
    [poisonedUser ?? null],
  );
  for (const d of days) {
    const marker = /^(U\d+ \S+ e\d+)\./.exec(d.content)?.[1] ?? '?';
    const id = `daily ${marker}`;
    if (d.status !== 'done') out.push(`${id}: status ${d.status ?? 'none'}, not done`);
    else if (d.source_version !== d.version) out.push(`${id}: summary of version ${d.source_version}, diary at ${d.version}`);
    else if (!(d.summary ?? '').includes(marker)) out.push(`${id}: stored summary is of other text: ${JSON.stringify((d.summary ?? '').slice(0, 80))}`);
    if (d.needs) out.push(`${id}: still marked as needing a summary`);
  }
  const { rows: months } = await pool.query<{ user_id: string; year: number; month: number; inputs_version: string; needs: boolean; status: string | null; source_version: string | null }>(
    `SELECT m.user_id::text, m.year, m.month, m.inputs_version::text, m.needs_monthly_summary AS needs, s.status, s.source_version::text
       FROM diary_months m
       LEFT JOIN diary_summary_months s USING (user_id, year, month)
       LEFT JOIN user_llms l ON l.user_id = m.user_id
      WHERE coalesce(l.auto_summary_monthly, true) AND m.user_id IS DISTINCT FROM $1::uuid
      ORDER BY 1, 2, 3`,
    [poisonedUser ?? null],
  );
  for (const m of months) {
    const id = `monthly ${m.user_id.slice(0, 8)} ${m.year}-${m.month}`;
    if (m.status !== 'done') out.push(`${id}: status ${m.status ?? 'none'}, not done`);
    else if (m.source_version !== m.inputs_version) out.push(`${id}: summary of inputs ${m.source_version}, month at ${m.inputs_version}`);
    if (m.needs) out.push(`${id}: still marked as needing a summary`);
  }
  return out;
}

/** Which job version an LLM request belongs to: its job and a digest of its whole prompt. */
export function jobVersionOf(r: FakeLlmRequest): string {
  const messages = r.body?.messages ?? [];
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const user = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  const m = /(U\d+|P) (\d{4}-\d{2}-\d{2})/.exec(user);
  const kind = /month/i.test(system) ? 'monthly' : 'daily';
  const job = m ? (kind === 'daily' ? `${m[1]} ${m[2]}` : `${m[1]} ${(m[2] as string).slice(0, 7)}`) : 'unknown';
  const digest = createHash('sha1').update(JSON.stringify(messages)).digest('hex').slice(0, 10);
  return `${kind} ${job} #${digest}`;
}

export interface CallReport {
  /** calls per job version → how many job versions had that many. */
  histogram: Record<number, number>;
  violations: string[];
}

/**
 * A lease lapse a subscriber logged ("claim lost; aborting its job"): its job's claim expired
 * unrenewed, which on an overloaded machine is an event-loop stall longer than the lease. It is a
 * fault that hits that job only; the run reports how many there were.
 */
export interface LeaseLapse {
  /** As jobVersionOf names jobs: "daily U3 2024-01-25" or "monthly U3 2024-01". */
  job: string;
  at: number;
}

/** The lease lapses in subscribers' logs, named by job (users by their index in `users`). */
export function leaseLapses(subscriberLogs: readonly LogLine[][], users: readonly string[]): LeaseLapse[] {
  const out: LeaseLapse[] = [];
  for (const logs of subscriberLogs) {
    for (const l of logs) {
      if (l.msg !== 'claim lost; aborting its job' || typeof l.claim !== 'string') continue;
      const m = /:claim:(daily|monthly):([0-9a-f-]{36}):(\d{4}-\d{2}(?:-\d{2})?)$/.exec(l.claim);
      if (!m) continue;
      const u = users.indexOf(m[2] as string);
      out.push({ job: `${m[1]} ${u >= 0 ? `U${u}` : 'P'} ${m[3]}`, at: typeof l.time === 'string' ? Date.parse(l.time) : 0 });
    }
  }
  return out;
}

/**
 * LLM calls per job version ≤ 1 + the faults that hit it while it ran: the fake's own fault answers
 * to its calls (429, 5xx, hang; an ok its client went away from before it came), the injected faults (other than edits, which make a new version)
 * overlapping the span from its first call to its last, and its lease lapses within a lease of it.
 */
export function checkLlmCalls(
  requests: readonly FakeLlmRequest[],
  faults: readonly InjectedFault[],
  lapses: readonly LeaseLapse[] = [],
  leaseMs = 5000,
): CallReport {
  const byVersion = new Map<string, FakeLlmRequest[]>();
  for (const r of requests) {
    const k = jobVersionOf(r);
    byVersion.set(k, [...(byVersion.get(k) ?? []), r]);
  }
  const histogram: Record<number, number> = {};
  const violations: string[] = [];
  const infra = faults.filter((f) => f.kind !== 'edit-running');
  for (const [k, calls] of byVersion) {
    histogram[calls.length] = (histogram[calls.length] ?? 0) + 1;
    const first = calls[0] as FakeLlmRequest;
    const last = calls.at(-1) as FakeLlmRequest;
    const llmFaults = calls.filter((c) => c.answer !== 'ok' || c.abandoned === true).length;
    const job = k.slice(0, k.indexOf(' #'));
    const hits =
      infra.filter((f) => f.end >= first.at && f.start <= last.at).length +
      lapses.filter((l) => l.job === job && l.at >= first.at - leaseMs && l.at <= last.at + leaseMs).length;
    if (calls.length > 1 + llmFaults + hits) {
      violations.push(`${k}: ${calls.length} calls, allowed ${1 + llmFaults + hits} (${llmFaults} LLM faults, ${hits} injected faults or lease lapses while it ran); answers ${calls.map((c) => `${c.answer}@${c.at - first.at}ms`).join(' ')}`);
    }
  }
  return { histogram, violations };
}

/** The schedulers' logged ticks: no job's slot ran twice. */
export function checkTicks(schedulerLogs: readonly LogLine[][], intervalMs: number): { ticks: number; violations: string[] } {
  const seen = new Map<string, number>();
  let ticks = 0;
  for (const logs of schedulerLogs) {
    for (const l of logs) {
      if (l.msg !== 'tick done' || typeof l.started_at !== 'string') continue;
      ticks++;
      const slot = `${String(l.job)} ${new Date(Math.floor(Date.parse(l.started_at) / intervalMs) * intervalMs).toISOString()}`;
      seen.set(slot, (seen.get(slot) ?? 0) + 1);
    }
  }
  return { ticks, violations: [...seen].filter(([, n]) => n > 1).map(([slot, n]) => `${slot}: ${n} ticks in one slot`) };
}

/** Every SIGTERMed process exited 0 within TERM_BOUND_MS; no process died on its own once up. */
export function checkExits(terms: readonly TermRecord[], exits: readonly ExitRecord[]): string[] {
  const out: string[] = [];
  for (const t of terms) {
    if (t.code !== 0 || t.ms > TERM_BOUND_MS) out.push(`${t.role} ${t.index} SIGTERMed ${t.age} ms after its start: exit ${t.code} after ${t.ms} ms (bound ${TERM_BOUND_MS} ms); ${t.lastLogs}`);
  }
  for (const e of exits) {
    if (e.wasUp) out.push(`${e.role} ${e.index} exited by itself with ${e.code} after it was up: ${e.lastLogs}`);
  }
  return out;
}
