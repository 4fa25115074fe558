// job_history_prune: deletes job attempts older than JOB_HISTORY_RETENTION, a batch per statement,
// off the jobs' hot path. A scheduled job like the others, so replicas take turns through the tick
// lock and slot, and its ticks show in `status` and the dashboard (found: attempts deleted).
import { pruneJobHistory } from '../db/job-history.js';
import type { ScheduledJob } from './scheduled-job.js';

export const PRUNE_JOB = 'job_history_prune';

export function pruneHistoryJob(options: { retentionMs: number; intervalMs: number; batch?: number }): ScheduledJob {
  return {
    name: PRUNE_JOB,
    intervalMs: options.intervalMs,
    async run({ db, logger }) {
      const deleted = await pruneJobHistory(db, options.retentionMs, options.batch ?? 1000);
      if (deleted > 0) logger.info({ deleted }, 'old job attempts pruned');
      return { found: deleted, published: 0, failed: 0 };
    },
  };
}
