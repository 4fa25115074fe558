// The Redis seam: everything the rest of the system asks of Redis, as one face. Nothing outside
// src/transport holds a Redis client or asks which transport it has: the scheduler takes its tick
// lock here, the subscriber its claims, the server and the CLI the inspector, everyone the
// fleet-wide rate limits. open-messaging.ts builds it from the settings.
import type { ClaimStore } from './claim-store.js';
import type { Fleet } from './fleet.js';
import type { Inspector } from './inspector.js';
import type { Limits } from './limits.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TickLock } from './tick-lock.js';
import type { Transport } from './transport.js';

export interface RateLimitOptions {
  /** Requests per minute, shared by every process. */
  perMinute: number;
  /** How many may go at once after a quiet spell. @defaultValue a second's worth, at least 1 */
  burst?: number;
}

export interface Messaging {
  /** Publishing and consuming jobs. */
  readonly transport: Transport;
  /** The queue's state and dead letters. */
  readonly inspector: Inspector;
  /** Job claims: one runner per job across the fleet. */
  readonly claims: ClaimStore;
  /** One scheduler tick at a time per job across replicas. */
  readonly tickLock: TickLock;
  /** True: waiting jobs are kept in Redis (streams), so there is a queue to move; false: Pub/Sub keeps none. */
  readonly keepsJobs: boolean;
  /** Where jobs travel (channel or stream), for log lines. */
  readonly where: string;
  /** A token bucket named `name` that waits for its turn (LLM_MAX_RPM), shared by every process. */
  rateLimiter(name: string, options: RateLimitOptions): RateLimiter;
  /** Request buckets, sign-in backoff and job budgets, shared by every process. */
  readonly limits: Limits;
  /** Every live process's counters and identity, for fleet-wide figures. */
  readonly fleet: Fleet;
  /** Connected, and subscribed or reading once consuming. */
  isReady(): boolean;
  /** Closes what it opened, in order: claims, the transport, then the connection. */
  close(): Promise<void>;
}
