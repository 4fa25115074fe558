// AdminService: the operations dashboard's data — queue state and dead letters through the
// transport's inspector, scheduler ticks and summaries by status from the database, and the job
// counters of the whole fleet (every live process's report, summed).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { Db } from '../../db/db.js';
import { jobAttempts, listJobs, type JobKind } from '../../db/job-history.js';
import { lastTicks } from '../../db/scheduler-ticks.js';
import { summaryCounts } from '../../db/status.js';
import { throughputLastHour } from '../../db/throughput.js';
import { monthRange, tokensByModel, tokensByUserModelDay } from '../../db/token-usage.js';
import { costOf, type ModelPrice } from '../../llm-prices.js';
import {
  AdminService,
  DeadLetterSchema,
  FleetCountersSchema,
  FleetMemberSchema,
  JobSummarySchema,
  LlmCostSchema,
  ModelTokensSchema,
  TokenUsageSchema,
  PendingEntrySchema,
  SchedulerTickSchema,
  StatusCountSchema,
  ThroughputPointSchema,
  OverviewSchema,
} from '../../gen/diary/v1/admin_pb.js';
import { fleetTotals, type Fleet, type FleetCounters } from '../../transport/fleet.js';
import { NoDeadLettersError, type DeadLetterStore, type Inspector } from '../../transport/inspector.js';
import { UUID_RE } from '../../messages.js';
import { requireAdmin } from '../auth.js';
import { toJobAttempt } from '../job-history-view.js';
import { invalid, requireDate } from '../validate.js';

export interface AdminServiceDeps {
  db: Db;
  inspector: Inspector;
  fleet: Fleet;
  /** LLM_PRICES. @defaultValue none (tokens only) */
  prices?: ReadonlyMap<string, ModelPrice>;
}


const counters = (c: FleetCounters) =>
  create(FleetCountersSchema, { processed: BigInt(c.processed), failed: BigInt(c.failed), rejected: BigInt(c.rejected), shed: BigInt(c.shed) });

const IDS_MAX = 1000;
const OUTCOMES = new Set(['done', 'failed', 'retrying', 'superseded']);

function kindOf(kind: string, required: boolean): JobKind | undefined {
  if (kind === 'daily' || kind === 'monthly') return kind;
  if (kind === '' && !required) return undefined;
  throw invalid('kind must be daily or monthly');
}

function userOf(userId: string, required: boolean): string | undefined {
  if (userId === '' && !required) return undefined;
  if (!UUID_RE.test(userId)) throw invalid('user_id must be a user id (UUID)');
  return userId;
}

export function adminService(deps: AdminServiceDeps): ServiceImpl<typeof AdminService> {
  const deadLetters = (): DeadLetterStore => {
    try {
      return deps.inspector.deadLetters();
    } catch (err) {
      if (err instanceof NoDeadLettersError) throw new ConnectError(err.message, Code.FailedPrecondition);
      throw err;
    }
  };

  return {
    async getOverview(_req, ctx) {
      requireAdmin(ctx);
      const month = monthRange(new Date());
      const [ticks, counts, throughput, queue, members, tokens] = await Promise.all([
        lastTicks(deps.db),
        summaryCounts(deps.db),
        throughputLastHour(deps.db),
        deps.inspector.status(),
        deps.fleet.members(),
        tokensByModel(deps.db, month.from, month.to),
      ]);
      const fleet = fleetTotals(members);
      const cost = costOf(tokens, deps.prices ?? new Map());
      const overview: MessageInitShape<typeof OverviewSchema> = {
        transport: queue.transport,
        subscribers: queue.consumers,
        streamLength: BigInt(queue.depth ?? 0),
        pending: BigInt(queue.pending ?? 0),
        oldestPendingMs: BigInt(queue.oldestPendingAgeMs ?? 0),
        deadLetters: BigInt(queue.deadLetters ?? 0),
        pendingEntries: queue.pendingPerConsumer.map((c) =>
          create(PendingEntrySchema, { consumer: c.name, pending: BigInt(c.pending), idleMs: BigInt(c.idleMs) }),
        ),
        ticks: ticks.map((t) =>
          create(SchedulerTickSchema, { job: t.job, startedAt: timestampFromDate(t.started_at), found: t.found, published: t.published, failed: t.failed }),
        ),
        summaries: counts.map((c) => create(StatusCountSchema, { kind: c.kind, status: c.status, count: BigInt(c.count) })),
        throughput: throughput.rows.map((p) =>
          create(ThroughputPointSchema, { minute: timestampFromDate(new Date(p.minute)), done: BigInt(p.done), failed: BigInt(p.failed) }),
        ),
        throughputUntil: timestampFromDate(new Date(throughput.until)),
        processedTotal: BigInt(fleet.totals.processed),
        failedTotal: BigInt(fleet.totals.failed),
        rejectedTotal: BigInt(fleet.totals.rejected),
        shedTotal: BigInt(fleet.totals.shed),
        inFlight: BigInt(fleet.inFlight),
        perMinute: counters(fleet.perMinute),
        fleet: members.map((m) =>
          create(FleetMemberSchema, {
            instance: m.instance,
            role: m.role,
            host: m.host,
            pid: m.pid,
            version: m.version,
            concurrency: m.concurrency,
            inFlight: BigInt(m.inFlight),
            totals: counters(m.totals),
            perMinute: counters(m.perMinute),
            lastSeen: timestampFromDate(new Date(m.lastSeen)),
          }),
        ),
        llmMonth: create(LlmCostSchema, {
          month: month.month,
          inputTokens: BigInt(cost.inputTokens),
          outputTokens: BigInt(cost.outputTokens),
          cost: cost.cost,
          liveCost: cost.liveCost,
          unpricedModels: cost.unpriced,
          batchShare: cost.batchShare,
          models: cost.models.map((m) =>
            create(ModelTokensSchema, {
              model: m.model, inputTokens: BigInt(m.inputTokens), outputTokens: BigInt(m.outputTokens),
              batchTokens: BigInt(m.batchTokens), cost: m.cost ?? 0, priced: m.cost !== undefined,
            }),
          ),
        }),
      };
      return overview;
    },

    async listTokenUsage(req, ctx) {
      requireAdmin(ctx);
      const month = monthRange(new Date());
      // Date.parse takes 2024-02-30 for 1 March; PostgreSQL refuses it (an internal error).
      for (const [name, v] of [['from', req.from], ['to', req.to]] as const) if (v !== '') requireDate(v, name);
      const userId = userOf(req.userId, false);
      const limit = req.limit <= 0 ? 1000 : Math.min(req.limit, 10_000);
      const rows = await tokensByUserModelDay(deps.db, { from: req.from || month.from, to: req.to || month.to, ...(userId ? { userId } : {}), limit });
      return {
        usage: rows.map((r) =>
          create(TokenUsageSchema, {
            day: r.day, userId: r.userId, email: r.email ?? '', model: r.model, batch: r.batch,
            inputTokens: BigInt(r.inputTokens), outputTokens: BigInt(r.outputTokens), calls: BigInt(r.calls),
          }),
        ),
      };
    },

    async listDeadLetters(req, ctx) {
      requireAdmin(ctx);
      const limit = req.limit <= 0 ? 100 : Math.min(req.limit, 1000);
      const entries = await deadLetters().list(limit);
      return {
        entries: entries.map((e) => {
          const failedAt = new Date(e.failedAt);
          return create(DeadLetterSchema, {
            id: e.id,
            data: e.data,
            error: e.error,
            deliveries: e.deliveries,
            ...(Number.isNaN(failedAt.getTime()) ? {} : { failedAt: timestampFromDate(failedAt) }),
          });
        }),
      };
    },

    async listJobs(req, ctx) {
      requireAdmin(ctx);
      if (req.outcome !== '' && !OUTCOMES.has(req.outcome)) throw invalid(`outcome must be one of ${[...OUTCOMES].join(', ')}`);
      const kind = kindOf(req.kind, false);
      const userId = userOf(req.userId, false);
      const rows = await listJobs(deps.db, {
        limit: req.limit <= 0 ? 100 : Math.min(req.limit, 500),
        ...(req.outcome ? { outcome: req.outcome } : {}),
        ...(kind ? { kind } : {}),
        ...(userId ? { userId } : {}),
      });
      return {
        jobs: rows.map((j) =>
          create(JobSummarySchema, {
            kind: j.kind,
            userId: j.user_id,
            email: j.email,
            period: j.period,
            outcome: j.outcome,
            errorClass: j.error_class ?? '',
            error: j.error ?? '',
            trigger: j.trigger ?? '',
            attempts: j.attempts,
            lastAt: timestampFromDate(j.last_at),
          }),
        ),
      };
    },

    async getJob(req, ctx) {
      requireAdmin(ctx);
      const kind = kindOf(req.kind, true) as JobKind;
      const userId = userOf(req.userId, true) as string;
      const period = kind === 'daily' ? requireDate(req.period, 'period') : req.period;
      if (kind === 'monthly' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw invalid('period must be YYYY-MM for a monthly job');
      const rows = await jobAttempts(deps.db, userId, kind, period);
      return { attempts: rows.map((r) => toJobAttempt(r, 'operator')) };
    },

    async replayDeadLetters(req, ctx) {
      requireAdmin(ctx);
      const store = deadLetters();
      if (req.all === (req.ids.length > 0)) throw invalid('set either ids or all');
      if (req.ids.length > IDS_MAX) throw invalid(`at most ${IDS_MAX} ids at once`);
      if (req.ids.some((id) => !/^\d+-\d+$/.test(id))) throw invalid('ids must be stream entry ids such as 1700000000000-0');
      return { replayed: await store.replay(req.all ? 'all' : req.ids) };
    },
  };
}
