// The status a user sees for a summary, from its row and its input's marker:
// none (no row), queued (queued, or retrying after a transient failure — with that error),
// processing, batched (LLM_BATCH: waiting inside a provider batch), done, failed (with the error),
// stale (done, but the diary changed since).
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SummaryViewRow } from '../db/summary-views.js';
import { SummaryStatus } from '../gen/diary/v1/diaries_pb.js';
import { SummarySchema, type Summary } from '../gen/diary/v1/summaries_pb.js';

export function statusOf(status: SummaryViewRow['status'], needsSummary: boolean | null): SummaryStatus {
  switch (status) {
    case null:
      return SummaryStatus.NONE;
    case 'queued':
    case 'retrying':
      return SummaryStatus.QUEUED;
    case 'processing':
      return SummaryStatus.PROCESSING;
    case 'batched':
      return SummaryStatus.BATCHED;
    case 'failed':
      return SummaryStatus.FAILED;
    case 'done':
      // needs_summary is true while the diary (or, for a month, its inputs) is newer than the summary.
      return needsSummary === true ? SummaryStatus.STALE : SummaryStatus.DONE;
  }
}

export function toSummary(row: SummaryViewRow): Summary {
  const status = statusOf(row.status, row.needs_summary);
  const showError = row.status === 'failed' || row.status === 'retrying';
  return create(SummarySchema, {
    status,
    // While a new summary is queued or made, the last good one is still worth showing.
    summary: row.summary ?? '',
    model: row.model ?? '',
    error: showError ? (row.error ?? '') : '',
    ...(row.updated_at ? { updatedAt: timestampFromDate(row.updated_at) } : {}),
  });
}
