// `diary-events scheduler [--once]`: the daily and monthly jobs, and the job history's prune, every interval.
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import { createFleet } from '../scheduler/admission.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { pruneHistoryJob } from '../scheduler/prune-history-job.js';
import { dailySummaryJob, monthlySummaryJob } from '../scheduler/summary-jobs.js';
import { batchPollInterval, llmBatchJob } from '../scheduler/llm-batch-job.js';
import { BatchApi } from '../summarizer/batch-api.js';
import type { ScheduledJob } from '../scheduler/scheduled-job.js';

/**
 * The batch leader, on the operator's endpoint and key. Registered with LLM_BATCH off too, to drain:
 * requests set aside while it was on would otherwise wait for a batch that never comes.
 */
function batchJob(rt: Runtime): ScheduledJob {
  const { llm } = rt.config;
  return llmBatchJob({
    intervalMs: batchPollInterval(llm.batchMaxWaitMs),
    maxWaitMs: llm.batchMaxWaitMs,
    drainOnly: !llm.batch,
    ...(llm.baseUrl ? { provider: new BatchApi({ baseUrl: llm.baseUrl, apiKey: llm.apiKey, timeoutMs: llm.timeoutMs }) } : {}),
    summarizerFor: (model) => rt.summarizerFor({ provider: 'openai', model, baseUrl: null, apiKeyEncrypted: null }),
  });
}

export function buildScheduler(rt: Runtime, logger: Logger): Scheduler {
  const { config } = rt;
  const common = { defaultTimezone: config.defaultTimezone, minChars: config.summaryMinChars };
  return createScheduler({
    jobs: [
      dailySummaryJob({ ...common, intervalMs: config.scheduler.dailyIntervalMs }),
      monthlySummaryJob({ ...common, intervalMs: config.scheduler.monthlyIntervalMs }),
      pruneHistoryJob({ retentionMs: config.jobHistoryRetentionMs, intervalMs: config.scheduler.dailyIntervalMs }),
      batchJob(rt),
    ],
    db: rt.db,
    logger,
    publish: (m) => rt.messaging.transport.publish(m),
    lock: rt.messaging.tickLock,
    fleet: createFleet({ inspector: rt.messaging.inspector }),
    maxPerUser: config.scheduler.maxPerUser,
  });
}
