// Publishing from a request: bounded in time, because while Redis is away the client queues
// commands until it reconnects, and a save must answer now. A publish that timed out may still go
// out later from that queue; a duplicate job is harmless (claims, and current summaries are skipped).
import type { Logger } from '../logger.js';
import { jobFields, type JobMessage } from '../messages.js';
import { messagesPublished } from '../metrics.js';
import { toError } from '../errors/job-errors.js';
import { withTimeout } from '../timeout.js';
import type { Transport } from '../transport/transport.js';
import { publishTraced } from '../spans.js';

export const PUBLISH_TIMEOUT_MS = 2000;

/** True when the transport accepted the job in time; failures are logged and counted, never thrown. */
export async function publishJob(
  transport: Pick<Transport, 'publish'>,
  message: JobMessage,
  logger: Logger,
  timeoutMs = PUBLISH_TIMEOUT_MS,
): Promise<boolean> {
  try {
    // A child of the request's span (a diary save); the message carries its traceparent.
    await withTimeout(publishTraced((m) => transport.publish(m), message), timeoutMs, 'publish');
    messagesPublished.add(message.type, 'ok');
    return true;
  } catch (err) {
    messagesPublished.add(message.type, 'error');
    logger.warn({ ...jobFields(message), err: toError(err).message }, 'publish failed; the scheduler will pick the job up');
    return false;
  }
}
