// Job history rows as the API shows them: to an operator everything, to a user their own attempts
// without the subscriber's name (a host name is the fleet's business, not theirs).
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { AttemptRow } from '../db/job-history.js';
import { JobAttemptSchema, type JobAttempt } from '../gen/diary/v1/summaries_pb.js';

export function toJobAttempt(r: AttemptRow, audience: 'operator' | 'user'): JobAttempt {
  return create(JobAttemptSchema, {
    trigger: r.trigger ?? '',
    subscriber: audience === 'operator' ? (r.subscriber ?? '') : '',
    deliveryCount: r.delivery_count,
    queuedMs: BigInt(Math.round(r.queued_ms ?? 0)),
    runningMs: BigInt(Math.round(r.running_ms)),
    outcome: r.outcome,
    errorClass: r.error_class ?? '',
    error: r.error ?? '',
    inputTokens: r.input_tokens ?? 0,
    outputTokens: r.output_tokens ?? 0,
    finishedAt: timestampFromDate(r.finished_at),
  });
}
