// AdminService: the operations dashboard's data — queue state and dead letters through the
// transport's inspector, scheduler ticks and summaries by status from the database, and the job
// counters of the whole fleet (every live process's report, summed).
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
  FleetCountersSchema,
  FleetMemberSchema,
  PendingEntrySchema,
  SchedulerTickSchema,
  StatusCountSchema,
  ThroughputPointSchema,
  OverviewSchema,
} from '../../gen/diary/v1/admin_pb.js';
import { fleetTotals, type Fleet, type FleetCounters } from '../../transport/fleet.js';
import { NoDeadLettersError, type DeadLetterStore, type Inspector } from '../../transport/inspector.js';
import { requireAdmin } from '../auth.js';
import { invalid } from '../validate.js';

export interface AdminServiceDeps {
  db: Db;
  inspector: Inspector;
  fleet: Fleet;
}

const counters = (c: FleetCounters) =>
  create(FleetCountersSchema, { processed: BigInt(c.processed), failed: BigInt(c.failed), rejected: BigInt(c.rejected), shed: BigInt(c.shed) });

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
      const [ticks, counts, throughput, queue, members] = await Promise.all([
        lastTicks(deps.db),
        summaryCounts(deps.db),
        throughputLastHour(deps.db),
        deps.inspector.status(),
        deps.fleet.members(),
      ]);
      const fleet = fleetTotals(members);
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
