// AdminService: the operations dashboard's data — queue state and dead letters through the
// transport's inspector, scheduler ticks and summaries by status from the database, and this
// process's job counters from its Prometheus registry.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { Db } from '../../db/db.js';
import { lastTicks } from '../../db/scheduler-ticks.js';
import { summaryCounts } from '../../db/status.js';
import { throughputLastHour } from '../../db/throughput.js';
import {
  AdminService,
  DeadLetterSchema,
  PendingEntrySchema,
  SchedulerTickSchema,
  StatusCountSchema,
  ThroughputPointSchema,
  OverviewSchema,
} from '../../gen/diary/v1/admin_pb.js';
import { jobsInFlight, jobsProcessed, messagesRejected } from '../../metrics.js';
import { NoDeadLettersError, type DeadLetterStore, type Inspector } from '../../transport/inspector.js';
import { requireAdmin } from '../auth.js';
import { invalid } from '../validate.js';

export interface AdminServiceDeps {
  db: Db;
  inspector: Inspector;
}

const PROCESSED = new Set(['done', 'current']);
const FAILED = new Set(['failed', 'retry', 'lease_lost']);

/** Sums a counter's series whose `outcome` label is in `outcomes` (all series when omitted). */
async function sum(metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number | undefined> }> }> }, outcomes?: Set<string>) {
  const { values } = await metric.get();
  return values.filter((v) => !outcomes || outcomes.has(String(v.labels.outcome))).reduce((a, v) => a + v.value, 0);
}

const IDS_MAX = 1000;

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
      const [ticks, counts, throughput, queue] = await Promise.all([
        lastTicks(deps.db),
        summaryCounts(deps.db),
        throughputLastHour(deps.db),
        deps.inspector.status(),
      ]);
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
        processedTotal: BigInt(await sum(jobsProcessed, PROCESSED)),
        failedTotal: BigInt(await sum(jobsProcessed, FAILED)),
        rejectedTotal: BigInt(await sum(messagesRejected)),
        inFlight: BigInt(await sum(jobsInFlight)),
      };
      return overview;
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
