// Every Redis key, channel and stream name of the system, derived from DIARY_CHANNEL in one place.
import { createHash } from 'node:crypto';

export const CONSUMER_GROUP = 'diary-subscribers';

export interface Keys {
  /** Pub/Sub channel (DIARY_CHANNEL). */
  channel: string;
  /** Stream carrying the same JSON in field `data`. */
  stream: string;
  /** Dead-letter stream. */
  dead: string;
  group: string;
  /** Claim of one job (its jobKey): who is working on it, with a lease TTL. */
  claim(jobKey: string): string;
  /** A fleet-wide token bucket, e.g. rateLimit('llm-rate') for LLM_MAX_RPM. */
  rateLimit(name: string): string;
  /** One user's LLM jobs in the USER_MAX_JOBS_PER_HOUR window. */
  userJobs(userId: string): string;
  /** Token bucket `name` (an API request limit) of one caller; the caller's key is hashed. */
  requestLimit(name: string, key: string): string;
  /** Sign-in failures of one email from one address; hashed, so no email sits in Redis. */
  signInBackoff(key: string): string;
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
    dead: `${channel}:dead`,
    group: CONSUMER_GROUP,
    claim: (jobKey) => `${channel}:claim:${jobKey}`,
    rateLimit: (name) => `${channel}:${name}`,
    userJobs: (userId) => `${channel}:user-jobs:${userId}`,
    requestLimit: (name, key) => `${channel}:limit:${name}:${digest(key)}`,
    signInBackoff: (key) => `${channel}:sign-in:${digest(key)}`,
    capacity: `${channel}:capacity`,
  };
}
