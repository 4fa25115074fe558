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
  /** One tick of a scheduled job per interval slot, across replicas. */
  schedulerSlot(job: string, slot: number): string;
  /** Token bucket of LLM_MAX_RPM. */
  llmRate: string;
}

export function keysFor(channel: string): Keys {
  return {
    channel,
    stream: `${channel}:stream`,
    dead: `${channel}:dead`,
    group: CONSUMER_GROUP,
    claim: (jobKey) => `${channel}:claim:${jobKey}`,
    schedulerSlot: (job, slot) => `${channel}:scheduler:${job}:${slot}`,
    llmRate: `${channel}:llm-rate`,
  };
}
