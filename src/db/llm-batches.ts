// Provider batches and their requests (LLM_BATCH=on, migration 0010): typed calls of the statements
// in sql/llm-batches.ts.
import type { Db, Queryable } from './db.js';
import {
  BATCH_REQUESTS,
  END_BATCH,
  END_BATCHES_LIVE,
  GIVE_BACK_UPLOADS,
  MARK_SUBMITTED,
  PRUNE_RESOLVED,
  RECORD_POLL,
  RELEASE_DAILY,
  RELEASE_MONTHLY,
  RESOLVE_REQUESTS,
  SEND_WAITING_LIVE,
  SET_ASIDE_DAILY,
  SET_ASIDE_MONTHLY,
  SUBMITTED_BATCHES,
  TAKE_WAITING,
  WAITING_BY_MODEL,
} from './sql/llm-batches.js';

export type SetAsideDecision = 'batched' | 'live' | 'superseded';
export type BatchKind = 'daily' | 'monthly';

/** A job's target, as a batch request names it. */
export type BatchTarget =
  | { kind: 'daily'; userId: string; date: string }
  | { kind: 'monthly'; userId: string; year: number; month: number };

/** YYYY-MM-DD or YYYY-MM, as job_attempts names a target. */
export function periodOf(t: BatchTarget): string {
  return t.kind === 'daily' ? t.date : `${t.year}-${String(t.month).padStart(2, '0')}`;
}

/** The JSONL custom_id of a request: its job and input version, so an answer names both. */
export function customIdOf(t: BatchTarget, version: number): string {
  return `${t.kind}:${t.userId}:${periodOf(t)}:v${version}`;
}

/** The target a stored request names (kind, user and period columns). */
export function targetOf(kind: string, userId: string, period: string): BatchTarget | undefined {
  if (kind === 'daily' && /^\d{4}-\d{2}-\d{2}$/.test(period)) return { kind, userId, date: period };
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (kind === 'monthly' && m) return { kind, userId, year: Number(m[1]), month: Number(m[2]) };
  return undefined;
}

/** Sets a job aside for a batch (see SET_ASIDE_DAILY): what the job does now. */
export async function setAside(db: Queryable, t: BatchTarget, version: number, model: string, body: unknown): Promise<SetAsideDecision> {
  const id = customIdOf(t, version);
  const json = JSON.stringify(body);
  const [row] =
    t.kind === 'daily'
      ? await db.query<{ decision: SetAsideDecision }>(SET_ASIDE_DAILY, [t.userId, t.date, version, id, model, json])
      : await db.query<{ decision: SetAsideDecision }>(SET_ASIDE_MONTHLY, [t.userId, t.year, t.month, version, id, model, json]);
  return row?.decision ?? 'superseded';
}

export interface WaitingModel {
  model: string;
  waiting: number;
  oldest: Date;
}

export function waitingByModel(db: Queryable): Promise<WaitingModel[]> {
  return db.query<WaitingModel>(WAITING_BY_MODEL);
}

export interface TakenRequest {
  batch_id: string;
  custom_id: string;
  body: unknown;
}

/** Opens a batch of `model` with its oldest waiting requests; empty when none waits. */
export async function takeWaiting(db: Queryable, model: string, limit: number): Promise<{ batchId: string; requests: TakenRequest[] } | undefined> {
  const rows = await db.query<TakenRequest>(TAKE_WAITING, [model, limit]);
  const first = rows[0];
  return first ? { batchId: String(first.batch_id), requests: rows } : undefined;
}

export async function markSubmitted(db: Queryable, batchId: string, providerId: string, inputFileId: string, status: string): Promise<void> {
  await db.query(MARK_SUBMITTED, [batchId, providerId, inputFileId, status]);
}

/** Batches left uploading: their requests wait again. Returns how many batches were given back. */
export async function giveBackUploads(db: Queryable): Promise<number> {
  return (await db.query(GIVE_BACK_UPLOADS)).length;
}

export interface SubmittedBatch {
  id: string;
  model: string;
  provider_batch_id: string;
  provider_status: string | null;
}

export async function submittedBatches(db: Queryable): Promise<SubmittedBatch[]> {
  return (await db.query<SubmittedBatch>(SUBMITTED_BATCHES)).map((b) => ({ ...b, id: String(b.id) }));
}

export async function recordPoll(
  db: Queryable,
  batchId: string,
  p: { status: string; outputFileId?: string | null; errorFileId?: string | null; error?: string | null },
): Promise<void> {
  await db.query(RECORD_POLL, [batchId, p.status, p.outputFileId ?? null, p.errorFileId ?? null, p.error ?? null]);
}

export interface BatchRequestRow {
  id: string;
  custom_id: string;
  kind: string;
  user_id: string;
  period: string;
  version: number;
}

export async function batchRequests(db: Queryable, batchId: string): Promise<BatchRequestRow[]> {
  return (await db.query<BatchRequestRow>(BATCH_REQUESTS, [batchId])).map((r) => ({ ...r, id: String(r.id), version: Number(r.version) }));
}

export interface Resolution {
  id: string;
  state: 'done' | 'live';
  error: string | null;
}

export async function resolveRequests(db: Queryable, rows: readonly Resolution[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(RESOLVE_REQUESTS, [rows.map((r) => r.id), rows.map((r) => r.state), rows.map((r) => r.error)]);
}

export async function endBatch(db: Queryable, batchId: string): Promise<void> {
  await db.query(END_BATCH, [batchId]);
}

/** Targets whose request ended without a stored summary go back to the scheduler (RELEASE_*). */
export async function releaseTargets(db: Queryable, targets: readonly BatchTarget[]): Promise<void> {
  const days = targets.filter((t): t is Extract<BatchTarget, { kind: 'daily' }> => t.kind === 'daily');
  const months = targets.filter((t): t is Extract<BatchTarget, { kind: 'monthly' }> => t.kind === 'monthly');
  if (days.length > 0) await db.query(RELEASE_DAILY, [days.map((t) => t.userId), days.map((t) => t.date)]);
  if (months.length > 0) await db.query(RELEASE_MONTHLY, [months.map((t) => t.userId), months.map((t) => t.year), months.map((t) => t.month)]);
}

type LiveRequest = { kind: string; user_id: string; period: string };

/** In one transaction, as in a batch's resolution: requests `take` made live send their targets back. */
async function runLive(db: Db, take: (tx: Queryable) => Promise<LiveRequest[]>): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await take(tx);
    await releaseTargets(tx, rows.flatMap((r) => targetOf(r.kind, r.user_id, r.period) ?? []));
    return rows.length;
  });
}

/**
 * LLM_BATCH off: requests that wait for a batch (and, with `unreadable`, those inside submitted
 * batches nobody can read any more) run live. Returns how many requests went live.
 */
export function sendLive(db: Db, why: string, unreadable: boolean): Promise<number> {
  return runLive(db, async (tx) => [
    ...(await tx.query<LiveRequest>(SEND_WAITING_LIVE, [why])),
    ...(unreadable ? await tx.query<LiveRequest>(END_BATCHES_LIVE, [why, 'submitted', null]) : []),
  ]);
}

/** A batch the provider refused for good: it ends, and its requests run live. Returns how many. */
export function refuseUpload(db: Db, batchId: string, why: string): Promise<number> {
  return runLive(db, (tx) => tx.query<LiveRequest>(END_BATCHES_LIVE, [why, 'uploading', batchId]));
}

/** Forgets requests and batches resolved before `before` (see PRUNE_RESOLVED). */
export async function pruneResolved(db: Queryable, before: Date, limit = 1000): Promise<{ requests: number; batches: number }> {
  const [row] = await db.query<{ requests: string; batches: string }>(PRUNE_RESOLVED, [before.toISOString(), limit]);
  return { requests: Number(row?.requests ?? 0), batches: Number(row?.batches ?? 0) };
}
