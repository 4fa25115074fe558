// llm_batch (LLM_BATCH=on): the batch leader. A scheduled job like the others, so one replica at a
// time runs it, under the same tick lock and slot. Each tick:
//  1. gives back batches a previous leader opened but never got submitted (their requests wait again);
//  2. per model, submits the oldest waiting requests as one provider batch (JSONL upload, then
//     /batches) when they fill one, or when the oldest has waited LLM_BATCH_MAX_WAIT;
//  3. polls every submitted batch; once the provider is done with it (completed, failed, expired,
//     cancelled), reads its output and error files and resolves each request: an answer goes
//     through the same version-checked save as a live result (an edited diary never gets the old
//     text's summary); a request without a usable answer runs live — its target goes back to the
//     scheduler, whose next tick publishes it, and the subscriber that meets the request's 'live'
//     row calls the LLM itself.
// The database holds every state, so a leader that dies anywhere leaves the work to the next.
// With LLM_BATCH turned off the job still runs, to drain: no batch is submitted any more, the
// requests still waiting run live, and submitted batches are read to their end (or, with no
// endpoint left to read them, their requests run live too). Without it they waited for ever.
import { toError } from '../errors/job-errors.js';
import {
  batchRequests,
  endBatch,
  giveBackUploads,
  markSubmitted,
  pruneResolved,
  recordPoll,
  refuseUpload,
  sendLive,
  releaseTargets,
  resolveRequests,
  submittedBatches,
  takeWaiting,
  targetOf,
  waitingByModel,
  type BatchRequestRow,
  type BatchTarget,
  type Resolution,
  type SubmittedBatch,
  type WaitingModel,
} from '../db/llm-batches.js';
import type { Db, Queryable } from '../db/db.js';
import { readDailyInput, readMonthlyInput, saveDailyOutcome, saveMonthlyOutcome } from '../db/summaries.js';
import type { Logger } from '../logger.js';
import { BatchApiError, ENDED_STATUSES, type BatchInfo } from '../summarizer/batch-api.js';
import { readBatchResults, requestLine } from '../summarizer/batch-lines.js';
import type { Summarizer, SummaryInput } from '../summarizer/summarizer.js';
import type { ScheduledJob, TickResult } from './scheduled-job.js';

export const LLM_BATCH_JOB = 'llm_batch';
/** How long resolved requests and ended batches are kept (for operators' questions), then pruned. */
export const BATCH_RETENTION_MS = 30 * 86_400_000;
/** OpenAI's limit of requests in one batch (its file may also hold at most 200 MB). */
export const BATCH_MAX_REQUESTS = 50_000;

/** What the leader needs of the provider (BatchApi; a test's stand-in). */
export interface BatchProvider {
  uploadJsonl(filename: string, jsonl: string): Promise<string>;
  createBatch(inputFileId: string, metadata: Record<string, string>): Promise<BatchInfo>;
  getBatch(id: string): Promise<BatchInfo>;
  fileContent(id: string): Promise<string>;
}

export interface LlmBatchJobOptions {
  /** How often the leader looks. */
  intervalMs: number;
  /** LLM_BATCH_MAX_WAIT. */
  maxWaitMs: number;
  /** Requests per batch. @defaultValue BATCH_MAX_REQUESTS */
  maxRequests?: number;
  /** Absent: no endpoint is configured (LLM_BASE_URL unset), so submitted batches cannot be read. */
  provider?: BatchProvider;
  /** LLM_BATCH=off: submits nothing, and drains what earlier ticks set aside. @defaultValue false */
  drainOnly?: boolean;
  /** The operator's summarizer for a model: replays a batch answer as a live call would use it. */
  summarizerFor(model: string): Summarizer;
}

/** Polls at most every minute, and often enough that a batch is submitted near LLM_BATCH_MAX_WAIT. */
export function batchPollInterval(maxWaitMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(maxWaitMs / 4)));
}

/** Whether a model's waiting requests make a batch now: a full one, or the oldest waited long enough. */
export function dueForBatch(w: Pick<WaitingModel, 'waiting' | 'oldest'>, now: Date, maxWaitMs: number, maxRequests: number): boolean {
  return w.waiting >= maxRequests || now.getTime() - w.oldest.getTime() >= maxWaitMs;
}

export function llmBatchJob(options: LlmBatchJobOptions): ScheduledJob {
  const maxRequests = options.maxRequests ?? BATCH_MAX_REQUESTS;
  return {
    name: LLM_BATCH_JOB,
    intervalMs: options.intervalMs,
    async run({ db, now, logger }) {
      const result: TickResult = { found: 0, published: 0, failed: 0 };
      const { provider } = options;
      const givenBack = await giveBackUploads(db);
      if (givenBack > 0) logger.warn({ batches: givenBack }, 'batches left unsubmitted by a previous leader: their requests wait again');
      if (provider && !options.drainOnly) {
        result.published = await submitDue(db, provider, options, maxRequests, now, logger);
      } else {
        const live = await sendLive(db, provider ? 'LLM_BATCH is off' : 'LLM_BATCH is off and no endpoint is left to read its batches', !provider);
        if (live > 0) logger.warn({ requests: live }, 'LLM_BATCH is off: requests set aside for a batch run live');
        result.failed += live;
      }
      if (provider) {
        for (const batch of await submittedBatches(db)) {
          try {
            const r = await pollBatch(db, provider, options, batch, logger);
            result.found += r.stored;
            result.failed += r.live;
          } catch (err) {
            logger.warn({ batch: batch.id, provider_batch: batch.provider_batch_id, err: toError(err).message }, 'batch poll failed; the next tick tries again');
          }
        }
      }
      const pruned = await pruneResolved(db, new Date(now.getTime() - BATCH_RETENTION_MS));
      if (pruned.requests + pruned.batches > 0) logger.info(pruned, 'resolved batch requests pruned');
      return result;
    },
  };
}

/** Submits every batch that is due; returns how many requests went out. */
async function submitDue(db: Db, provider: BatchProvider, options: LlmBatchJobOptions, maxRequests: number, now: Date, logger: Logger): Promise<number> {
  let sent = 0;
  for (const { model } of await waitingByModel(db)) {
    // Looked at again after each batch: what is left over a full one waits by its own oldest.
    for (;;) {
      const waiting = (await waitingByModel(db)).find((w) => w.model === model);
      if (!waiting || !dueForBatch(waiting, now, options.maxWaitMs, maxRequests)) break;
      const taken = await takeWaiting(db, model, maxRequests);
      if (!taken) break;
      try {
        const jsonl = taken.requests.map((r) => requestLine(r.custom_id, r.body)).join('\n') + '\n';
        const fileId = await provider.uploadJsonl(`diary-batch-${taken.batchId}.jsonl`, jsonl);
        const info = await provider.createBatch(fileId, { diary_events_batch: taken.batchId });
        await markSubmitted(db, taken.batchId, info.id, fileId, info.status);
        logger.info({ batch: taken.batchId, provider_batch: info.id, model, requests: taken.requests.length }, 'batch submitted');
      } catch (err) {
        const why = toError(err).message;
        if (refusedForGood(err)) {
          // Asking again would be refused again, every tick, and the jobs would never run.
          const live = await refuseUpload(db, taken.batchId, `batch refused: ${why}`.slice(0, 500));
          logger.warn({ model, requests: live, err: why }, 'the provider refused the batch; its requests run live');
          continue;
        }
        // The requests wait again; a batch the provider did create meanwhile is never read (its
        // requests go out again in the next one: paid twice at worst, never lost).
        await giveBackUploads(db);
        logger.warn({ model, requests: taken.requests.length, err: why }, 'batch submission failed; its requests wait for the next tick');
        break;
      }
      sent += taken.requests.length;
    }
  }
  return sent;
}

/**
 * The provider cannot take this batch, now or later: a malformed or too large request, or no Batch
 * API at that endpoint. A bad key (401, 403) is not: the operator fixes it, and the requests then
 * go out as batches (run live meanwhile, they would fail the same way and be recorded failed).
 */
const REFUSED_FOR_GOOD = new Set([400, 404, 405, 413, 415, 422]);
function refusedForGood(err: unknown): boolean {
  return err instanceof BatchApiError && err.status !== undefined && REFUSED_FOR_GOOD.has(err.status);
}

/** One look at a submitted batch; resolves it once the provider is done with it. */
async function pollBatch(db: Db, provider: BatchProvider, options: LlmBatchJobOptions, batch: SubmittedBatch, logger: Logger): Promise<{ stored: number; live: number }> {
  const info = await provider.getBatch(batch.provider_batch_id);
  const error = batchError(info);
  await recordPoll(db, batch.id, { status: info.status, outputFileId: info.output_file_id ?? null, errorFileId: info.error_file_id ?? null, error });
  if (!ENDED_STATUSES.has(info.status)) return { stored: 0, live: 0 };
  const output = info.output_file_id ? await provider.fileContent(info.output_file_id) : undefined;
  const errors = info.error_file_id ? await provider.fileContent(info.error_file_id) : undefined;
  const rows = await batchRequests(db, batch.id);
  const results = readBatchResults({ ...(output !== undefined ? { output } : {}), ...(errors !== undefined ? { error: errors } : {}) }, new Set(rows.map((r) => r.custom_id)));
  for (const r of results.rejected) {
    logger.warn({ batch: batch.id, provider_batch: info.id, file: r.file, line: r.line, reason: r.reason, custom_id: r.customId }, 'batch result line rejected');
  }
  const summarizer = options.summarizerFor(batch.model);
  const resolutions: Resolution[] = [];
  const release: BatchTarget[] = [];
  let stored = 0;
  for (const row of rows) {
    const target = targetOf(row.kind, row.user_id, row.period);
    if (!target) {
      resolutions.push({ id: row.id, state: 'done', error: 'not a target' });
      continue;
    }
    const answer = results.answers.get(row.custom_id);
    const why = answer === undefined ? (results.failed.get(row.custom_id) ?? `batch ${info.status} without an answer for it`) : undefined;
    let outcome: 'stored' | 'superseded' | { live: string } = why !== undefined ? { live: why } : { live: '' };
    if (why === undefined) {
      outcome = await storeAnswer(db, summarizer, target, row, info.id, answer).catch((err: unknown) => ({ live: `its answer cannot be used: ${toError(err).message}` }));
    }
    if (outcome === 'stored') {
      stored++;
      resolutions.push({ id: row.id, state: 'done', error: null });
    } else if (outcome === 'superseded') {
      resolutions.push({ id: row.id, state: 'done', error: 'superseded: the input changed while it waited' });
      release.push(target);
    } else {
      resolutions.push({ id: row.id, state: 'live', error: outcome.live.slice(0, 500) });
      release.push(target);
    }
  }
  // One transaction: a subscriber that meets a released target must find its request 'live'
  // (else it would set the job aside again for a batch that is over).
  await db.transaction(async (tx) => {
    await resolveRequests(tx, resolutions);
    await releaseTargets(tx, release);
    await endBatch(tx, batch.id);
  });
  const live = resolutions.filter((r) => r.state === 'live').length;
  logger.info({ batch: batch.id, provider_batch: info.id, status: info.status, stored, superseded: release.length - live, live, rejected_lines: results.rejected.length }, 'batch resolved');
  return { stored, live };
}

function batchError(info: BatchInfo): string | null {
  if (info.status !== 'failed' || info.errors === undefined) return null;
  return JSON.stringify(info.errors).slice(0, 500);
}

/**
 * Stores one answer as a live result would be stored: only if the input is still at the request's
 * version. 'superseded' when it changed (or vanished) meanwhile.
 */
async function storeAnswer(
  db: Queryable,
  summarizer: Summarizer,
  target: BatchTarget,
  row: BatchRequestRow,
  providerBatchId: string,
  answer: unknown,
): Promise<'stored' | 'superseded'> {
  if (!summarizer.fromBatchAnswer) throw new Error('the summarizer cannot read batch answers');
  const started = performance.now();
  let input: SummaryInput;
  if (target.kind === 'daily') {
    const day = await readDailyInput(db, target.userId, target.date);
    if (!day || day.version !== row.version) return 'superseded';
    input = { kind: 'daily', entries: [{ date: target.date, text: day.content }] };
  } else {
    const month = await readMonthlyInput(db, target.userId, target.year, target.month);
    if (!month || month.version !== row.version || month.entries.length === 0) return 'superseded';
    input = { kind: 'monthly', entries: month.entries };
  }
  const result = await summarizer.fromBatchAnswer(input, answer);
  const outcome = {
    status: 'done' as const,
    summary: result.text,
    model: result.model,
    error: null,
    inputTokens: result.usage?.inputTokens ?? null,
    outputTokens: result.usage?.outputTokens ?? null,
    attempt: {
      messageId: row.custom_id,
      trigger: 'schedule',
      subscriber: `batch:${providerBatchId}`,
      deliveryCount: 1,
      queuedMs: null,
      runningMs: performance.now() - started,
      errorClass: null,
      batch: true,
    },
  };
  const saved =
    target.kind === 'daily'
      ? await saveDailyOutcome(db, target.userId, target.date, row.version, outcome)
      : await saveMonthlyOutcome(db, target.userId, target.year, target.month, row.version, outcome);
  return saved ? 'stored' : 'superseded';
}
