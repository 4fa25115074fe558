// Every Redis key, channel and stream name of the system, derived from DIARY_CHANNEL in one place.
import { createHash } from 'node:crypto';

export const CONSUMER_GROUP = 'diary-subscribers';

export interface Keys {
  /** Pub/Sub channel (DIARY_CHANNEL). */
  channel: string;
  /** Stream carrying the same JSON in field `data`. */
  stream: string;
  /**
   * Stream of jobs a user triggered (diary_saved, manual), read by a consumer of its own beside
   * the main stream, so they never wait behind a backlog of schedule jobs. Same group and dead letters.
   */
  urgentStream: string;
  /** Dead-letter stream. */
  dead: string;
  group: string;
  /** Claim of one job (its jobKey): who is working on it, with a lease TTL. */
  claim(jobKey: string): string;
  /** A fleet-wide token bucket, e.g. rateLimit('llm-rate') for LLM_MAX_RPM. */
  rateLimit(name: string): string;
  /** One user's LLM jobs in the USER_MAX_JOBS_PER_HOUR window. */
  userJobs(userId: string): string;
  /** The fleet's LLM token bucket (LLM_MAX_TPM); shares its hash tag with llmPause. */
  llmTokens(): string;
  /** A provider's pause of one endpoint+key (an opaque id, hashed). */
  llmPause(endpoint: string): string;
  /** Slots of one user's running jobs (USER_MAX_CONCURRENT_JOBS). */
  userRunning(userId: string): string;
  /** Token bucket `name` (an API request limit) of one caller; the caller's key is hashed. */
  requestLimit(name: string, key: string): string;
  /** Sign-in failures of one email from one address; hashed, so no email sits in Redis. */
  signInBackoff(key: string): string;
  /** Hash of every live process's report (field: its instance). */
  fleet: string;
  /** Pub/Sub subscribers' capacity reports and the last loss (capacity-report.lua). */
  capacity: string;
}

/** Caller-supplied text (an email, an address) as a fixed-size key part. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

export function keysFor(channel: string): Keys {
  return {
    channel,
    stream: `${channel}:stream`,
    urgentStream: `${channel}:stream:urgent`,
    dead: `${channel}:dead`,
    group: CONSUMER_GROUP,
    claim: (jobKey) => `${channel}:claim:${jobKey}`,
    rateLimit: (name) => `${channel}:${name}`,
    userJobs: (userId) => `${channel}:user-jobs:${userId}`,
    // One hash tag for the bucket and every pause: the budget script touches both in one slot.
    llmTokens: () => `{${channel}:llm}:tokens`,
    llmPause: (endpoint) => `{${channel}:llm}:pause:${digest(endpoint)}`,
    userRunning: (userId) => `${channel}:user-running:${userId}`,
    requestLimit: (name, key) => `${channel}:limit:${name}:${digest(key)}`,
    signInBackoff: (key) => `${channel}:sign-in:${digest(key)}`,
    fleet: `${channel}:fleet`,
    capacity: `${channel}:capacity`,
  };
}
