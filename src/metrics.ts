// Every Prometheus metric of the system, defined once; processes expose `registry` on /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const r = [registry];

/**
 * A labelled counter of the per-job hot path. add() is a plain addition; the sums reach prom-client
 * when it collects (every scrape, and get()). A labelled inc() hashes and validates its labels and
 * builds a labels object on every call: the runner's four such updates cost a no-op job about a
 * tenth of its CPU (issue 19, round 7). The label values are the bounded sets of the wire types and
 * job outcomes, so the sums stay few.
 */
export class TalliedCounter {
  readonly counter: Counter<string>;
  readonly #sums = new Map<string, Map<string, number>>();

  constructor(config: { name: string; help: string; labelNames: readonly [string] | readonly [string, string] }) {
    const sums = this.#sums;
    const [first, second] = config.labelNames;
    this.counter = new Counter({
      ...config,
      registers: r,
      collect() {
        for (const [a, inner] of sums) {
          for (const [b, n] of inner) {
            if (n === 0) continue;
            this.inc(second === undefined ? { [first]: a } : { [first]: a, [second]: b }, n);
            inner.set(b, 0);
          }
        }
      },
    });
  }

  /** Counts one: `a` is the first label's value, `b` the second's (none for a one-label counter). */
  add(a: string, b = ''): void {
    let inner = this.#sums.get(a);
    if (!inner) this.#sums.set(a, (inner = new Map()));
    inner.set(b, (inner.get(b) ?? 0) + 1);
  }
}

export const messagesPublished = new TalliedCounter({
  name: 'diary_messages_published_total',
  help: 'Messages published to the transport, by type and outcome (ok|error).',
  labelNames: ['type', 'outcome'],
});
export const messagesReceived = new TalliedCounter({
  name: 'diary_messages_received_total',
  help: 'Valid messages received by a subscriber, by type.',
  labelNames: ['type'],
});
export const messagesRejected = new Counter({
  name: 'diary_messages_rejected_total',
  help: 'Malformed messages dropped, by reason.',
  labelNames: ['reason'] as const,
  registers: r,
});
export const messagesShed = new Counter({
  name: 'diary_messages_shed_total',
  help: 'Pub/Sub messages dropped because the subscriber backlog was full (the next scheduler tick republishes them).',
  registers: r,
});
export const jobsProcessed = new TalliedCounter({
  name: 'diary_jobs_processed_total',
  help: 'Jobs finished, by type and outcome (done|current|failed|retry|claimed_elsewhere|lease_lost|superseded|deferred).',
  labelNames: ['type', 'outcome'],
});
export const jobDuration = new Histogram({
  name: 'diary_job_duration_seconds',
  help: 'Wall time of one job from claim to stored result (LLM call and DB writes included).',
  labelNames: ['type', 'outcome'] as const,
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers: r,
});
/** Jobs running in this process: a plain count on the hot path, read by the gauge when collected. */
export const jobsRunning = { n: 0 };
export const jobsInFlight = new Gauge({
  name: 'diary_jobs_in_flight',
  help: 'Jobs being processed by this process now.',
  registers: r,
  collect() {
    this.set(jobsRunning.n);
  },
});
export const claimConflicts = new TalliedCounter({
  name: 'diary_claim_conflicts_total',
  help: 'Jobs skipped because another subscriber holds their claim.',
  labelNames: ['type'],
});
export const llmRequests = new Counter({
  name: 'diary_llm_requests_total',
  help: 'LLM HTTP requests, by provider and outcome (ok|error).',
  labelNames: ['provider', 'outcome'] as const,
  registers: r,
});
export const llmLatency = new Histogram({
  name: 'diary_llm_request_duration_seconds',
  help: 'Latency of one LLM request.',
  labelNames: ['provider'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: r,
});
export const llmTokens = new Counter({
  name: 'diary_llm_tokens_total',
  help: 'Tokens reported by the LLM, by provider and kind (input|output).',
  labelNames: ['provider', 'kind'] as const,
  registers: r,
});
export const llmTokenBudgetWaiting = new Gauge({
  name: 'diary_llm_token_budget_waiting',
  help: 'LLM calls of this process waiting for the fleet-wide token budget (LLM_MAX_TPM) or a provider\'s pause, now; above 0 for long: the budget is exhausted.',
  registers: r,
});
export const llmErrors = new Counter({
  name: 'diary_llm_errors_total',
  help: 'LLM errors by provider and class (rate_limited|server|network|timeout|auth|model|refused|bad_response|egress).',
  labelNames: ['provider', 'class'] as const,
  registers: r,
});
export const schedulerTicks = new Counter({
  name: 'diary_scheduler_ticks_total',
  help: 'Scheduler ticks run by this process, by job and outcome (ok|error|skipped).',
  labelNames: ['job', 'outcome'] as const,
  registers: r,
});
export const schedulerTickDuration = new Histogram({
  name: 'diary_scheduler_tick_duration_seconds',
  help: 'Duration of one scheduled job run (query and publishing).',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: r,
});
export const schedulerTargets = new Gauge({
  name: 'diary_scheduler_targets_found',
  help: 'Targets found by the last run of each scheduled job.',
  labelNames: ['job'] as const,
  registers: r,
});
export const schedulerLastTick = new Gauge({
  name: 'diary_scheduler_last_tick_timestamp_seconds',
  help: 'When each scheduled job last ticked successfully in this process (its start time until the first tick); the fleet\'s latest is the max over schedulers.',
  labelNames: ['job'] as const,
  registers: r,
});
export const schedulerInterval = new Gauge({
  name: 'diary_scheduler_interval_seconds',
  help: 'The interval of each scheduled job (SCHEDULER_INTERVAL and its overrides), for the no-tick alert.',
  labelNames: ['job'] as const,
  registers: r,
});
export const streamLength = new Gauge({ name: 'diary_stream_length', help: 'Entries in the job stream.', registers: r });
export const streamPending = new Gauge({ name: 'diary_stream_pending', help: 'Entries delivered but not acknowledged.', registers: r });
export const streamOldestPending = new Gauge({
  name: 'diary_stream_oldest_pending_seconds',
  help: 'Idle time of the oldest pending entry.',
  registers: r,
});
export const deadLetters = new Gauge({ name: 'diary_dead_letters', help: 'Entries in the dead-letter stream.', registers: r });
export const redisConnected = new Gauge({
  name: 'diary_redis_connected',
  help: '1 while the Redis connection is ready, else 0.',
  labelNames: ['role'] as const,
  registers: r,
});
export const redisReconnects = new Counter({
  name: 'diary_redis_reconnects_total',
  help: 'Redis reconnection attempts.',
  labelNames: ['role'] as const,
  registers: r,
});
