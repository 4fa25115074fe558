// Every Redis key, channel and stream name of the system, derived from DIARY_CHANNEL in one place.

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
}

export function keysFor(channel: string): Keys {
  return {
    channel,
    stream: `${channel}:stream`,
    dead: `${channel}:dead`,
    group: CONSUMER_GROUP,
    claim: (jobKey) => `${channel}:claim:${jobKey}`,
    rateLimit: (name) => `${channel}:${name}`,
  };
}
