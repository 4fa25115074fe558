// The status a user sees: a summary waiting inside a provider batch (LLM_BATCH) is BATCHED, with
// the last good summary still shown beside it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SummaryStatus } from '../../src/gen/diary/v1/diaries_pb.js';
import { statusOf, toSummary } from '../../src/server/summary-status.js';

test('batched is its own status, not queued or processing', () => {
  assert.equal(statusOf('batched', true), SummaryStatus.BATCHED);
  assert.equal(statusOf('queued', true), SummaryStatus.QUEUED);
  assert.equal(statusOf('processing', true), SummaryStatus.PROCESSING);
  const s = toSummary({ status: 'batched', summary: 'the last one', model: 'm', error: 'old', updated_at: null, needs_summary: true });
  assert.equal(s.status, SummaryStatus.BATCHED);
  assert.equal(s.summary, 'the last one');
  assert.equal(s.error, '', 'no error shown while it waits');
});
