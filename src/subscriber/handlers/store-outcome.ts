// Runs the summarizer for a job and records what happened on its summary row, success or failure.
import { isPermanent, toError } from '../../errors/job-errors.js';
import type { SummaryOutcome } from '../../db/summaries.js';
import type { UserLlmSettings } from '../../db/users.js';
import type { SetAsideDecision } from '../../db/llm-batches.js';
import type { BatchCall, SummaryInput } from '../../summarizer/summarizer.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { withinLlmBudget } from '../llm-budget.js';

/**
 * The class a job's history shows for a failure: the LLM's (rate_limited, timeout, auth …) when an
 * AttemptError is in its cause chain or the summarizer named it ("LLM <class>: …"), else
 * permanent or transient, else the error's name.
 */
export function errorClassOf(err: unknown): string {
  const named = err instanceof Error ? /^LLM ([a-z_]+)\b/.exec(err.message)?.[1] : undefined;
  if (named) return named;
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const cls = (e as { errorClass?: unknown }).errorClass;
    if (typeof cls === 'string') return cls;
    e = e.cause;
  }
  if (isPermanent(err)) return 'permanent';
  if (err instanceof Error && err.name === 'TransientJobError') return 'transient';
  return err instanceof Error ? err.name : 'error';
}

/**
 * Summarizes `input` with the summarizer `llm` selects and saves it with `save` (which returns false when the input changed meanwhile).
 * A permanent failure is recorded as `failed` and rethrown; any other failure is recorded as
 * `retrying` (best effort: the database may be what failed) and rethrown for the transport to retry.
 */
export async function summarizeAndStore(
  ctx: JobContext,
  llm: UserLlmSettings,
  input: SummaryInput,
  save: (outcome: SummaryOutcome) => Promise<boolean>,
  setAside?: (call: BatchCall) => Promise<SetAsideDecision>,
): Promise<JobOutcome> {
  let result;
  try {
    const summarizer = ctx.summarizerFor(llm);
    if (!(await withinLlmBudget(ctx, summarizer))) return 'deferred';
    // LLM_BATCH: a scheduled job on the operator's endpoint waits in a provider batch instead,
    // unless its request already failed in one (then it runs live, here).
    const call = setAside && summarizer.batchCall ? await summarizer.batchCall(input) : undefined;
    if (call && setAside) {
      const decision = await setAside(call);
      if (decision !== 'live') return decision;
    }
    result = await summarizer.summarize(input, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted && !isPermanent(err)) throw err; // stopped or timed out: nothing to record yet
    const error = toError(err).message;
    const attempt = ctx.attemptRecord?.(errorClassOf(err));
    await save({ status: isPermanent(err) ? 'failed' : 'retrying', error, ...(attempt ? { attempt } : {}) }).catch(() => false);
    throw err;
  }
  ctx.signal.throwIfAborted(); // a lost claim means someone else owns the job now: write nothing
  const attempt = ctx.attemptRecord?.(null);
  const saved = await save({
    ...(attempt ? { attempt } : {}),
    status: 'done',
    summary: result.text,
    model: result.model,
    error: null,
    inputTokens: result.usage?.inputTokens ?? null,
    outputTokens: result.usage?.outputTokens ?? null,
  });
  return saved ? 'done' : 'superseded';
}
