// Every Redis key, channel and stream name of the system, derived from DIARY_CHANNEL in one place.
//
// Partitions (QUEUE_PARTITIONS, or any Redis Cluster): a job goes to partition
// hash(user_id) mod QUEUE_PARTITIONS, and every key of a partition carries its hash tag (`{pN}` or
// `{pN.k}`, chosen by slot in slots.ts so partitions spread evenly over masters): its stream, its
// shard channel, the claims of its jobs. So the partition lives in one slot and one script may touch
// any of its keys. Unpartitioned (one Redis, QUEUE_PARTITIONS=1) every name
// stays as the ADR and DESIGN.md have it.
import { createHash } from 'node:crypto';
import { partitionTags } from './slots.js';

export const CONSUMER_GROUP = 'diary-subscribers';

/** The names of one partition. */
export interface PartitionKeys {
  readonly index: number;
  /** Its hash tag without braces (`p3`, `p3.11`); '' when unpartitioned. */
  readonly tag: string;
  /** Its stream (the job stream itself when unpartitioned). */
  readonly stream: string;
  /** Its shard channel (DIARY_CHANNEL when unpartitioned). */
  readonly channel: string;
}

export interface KeysOptions {
  /** QUEUE_PARTITIONS. @defaultValue 1 */
  partitions?: number;
  /** A Redis Cluster: keys are tagged even with one partition. @defaultValue false */
  cluster?: boolean;
}

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
  /** True when keys carry partition hash tags (QUEUE_PARTITIONS > 1, or a cluster). */
  readonly partitioned: boolean;
  /** Every partition, in order (one, named as `stream`/`channel`, when unpartitioned). */
  readonly partitions: readonly PartitionKeys[];
  /** The partition of a user's jobs: a stable hash of the lowercased user_id. */
  partitionOf(userId: string): PartitionKeys;
  /**
   * Which keys may share one script call: keys of one answer live in one slot. Unpartitioned
   * every key answers the same; otherwise the hash tag, or the key itself when it has none.
   */
  slotGroup(key: string): string;
  /** Hash of every live process's report (field: its instance). */
  fleet: string;
  /** Pub/Sub subscribers' capacity reports and the last loss (capacity-report.lua). */
  capacity: string;
}

/** A stable 32-bit hash (FNV-1a): the same partition for a user in every process and release. */
export function userHash(userId: string): number {
  let h = 0x811c9dc5;
  for (const ch of userId.toLowerCase()) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The user in a job key (`daily:<user>:<date>`, `monthly:<user>:<yyyy-mm>`); undefined for others. */
function userOfJobKey(jobKey: string): string | undefined {
  const m = /^(?:daily|monthly):([^:]+):/.exec(jobKey);
  return m?.[1];
}

function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** Caller-supplied text (an email, an address) as a fixed-size key part. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

export function keysFor(channel: string, options: KeysOptions = {}): Keys {
  const count = options.partitions ?? 1;
  const partitioned = count > 1 || options.cluster === true;
  const partitions: PartitionKeys[] = partitioned
    ? partitionTags(count).map((tag, index) => ({ index, tag, stream: `${channel}:{${tag}}:stream`, channel: `${channel}:{${tag}}` }))
    : [{ index: 0, tag: '', stream: `${channel}:stream`, channel }];
  const partitionOf = (userId: string) => partitions[userHash(userId) % partitions.length] as PartitionKeys;
  return {
    channel,
    stream: (partitions[0] as PartitionKeys).stream,
    urgentStream: `${(partitions[0] as PartitionKeys).stream}:urgent`,
    dead: `${channel}:dead`,
    group: CONSUMER_GROUP,
    claim(jobKey) {
      if (!partitioned) return `${channel}:claim:${jobKey}`;
      const user = userOfJobKey(jobKey);
      // A job's claim in its partition's slot; scheduler tick locks together in a slot of their own.
      return user === undefined ? `${channel}:{tick}:claim:${jobKey}` : `${channel}:{${partitionOf(user).tag}}:claim:${jobKey}`;
    },
    rateLimit: (name) => `${channel}:${name}`,
    userJobs: (userId) => `${channel}:user-jobs:${userId}`,
    // One hash tag for the bucket and every pause: the budget script touches both in one slot.
    llmTokens: () => `{${channel}:llm}:tokens`,
    llmPause: (endpoint) => `{${channel}:llm}:pause:${digest(endpoint)}`,
    userRunning: (userId) => `${channel}:user-running:${userId}`,
    requestLimit: (name, key) => `${channel}:limit:${name}:${digest(key)}`,
    signInBackoff: (key) => `${channel}:sign-in:${digest(key)}`,
    partitioned,
    partitions,
    partitionOf,
    slotGroup: (key) => (partitioned ? (hashTag(key) ?? key) : ''),
    fleet: `${channel}:fleet`,
    capacity: `${channel}:capacity`,
  };
}

/** `keys` with one partition's stream and channel in place of the first's (for per-stream commands). */
export function keysOfPartition(keys: Keys, partition: PartitionKeys): Keys {
  return { ...keys, stream: partition.stream, channel: partition.channel };
}

/** The urgent lane (jobs a user triggered): each partition's stream with `:urgent` appended. */
export function urgentLane(keys: Keys): Keys {
  const partitions = keys.partitions.map((p) => ({ ...p, stream: `${p.stream}:urgent` }));
  return { ...keys, stream: keys.urgentStream, partitions, partitionOf: (userId) => partitions[keys.partitionOf(userId).index] as PartitionKeys };
}
