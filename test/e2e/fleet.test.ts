// The compose layout's separate processes on PostgreSQL — one server, two subscribers — and the
// dashboard's figures: they are the fleet's, so they equal the sum of the subscribers' own
// /metrics, and a stopped process drops out of them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mintToken } from '../../src/server/tokens.js';
import { eventually, type CliProcess } from '../helpers/cli.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

const JWT_SECRET = 'fleet-test-jwt-secret-0123456789abcdef';

let w: World;
before(async () => {
  w = await createWorld('pubsub');
});
after(async () => {
  await w.close();
});

/** Sum of a metric's samples (those whose outcome is in `outcomes`, when given). */
function sample(text: string, name: string, outcomes?: readonly string[]): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const outcome = /outcome="([^"]*)"/.exec(m[2] ?? '')?.[1];
    if (outcomes && !outcomes.includes(outcome ?? '')) continue;
    total += Number(m[3]);
  }
  return total;
}

interface Figures {
  processed: number;
  failed: number;
  rejected: number;
  inFlight: number;
}

async function ownMetrics(p: CliProcess): Promise<Figures> {
  const port = Number((await p.waitForLog((l) => l.msg === 'metrics listening')).metrics_port);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return {
    processed: sample(text, 'diary_jobs_processed_total', ['done', 'current']),
    failed: sample(text, 'diary_jobs_processed_total', ['failed', 'retry', 'lease_lost']),
    rejected: sample(text, 'diary_messages_rejected_total'),
    inFlight: sample(text, 'diary_jobs_in_flight'),
  };
}

interface OverviewJson {
  processedTotal?: string;
  failedTotal?: string;
  rejectedTotal?: string;
  inFlight?: string;
  fleet?: Array<{ role: string; pid: number; host: string; version: string; concurrency: number; totals?: { processed?: string } }>;
}

test('the dashboard shows the sum of every subscriber’s own /metrics, and each process', async () => {
  const { userId, dates } = await w.seed(6);
  const [admin] = (await w.pool.query<{ id: string }>('UPDATE users SET is_admin = true WHERE id = $1 RETURNING id::text', [userId])).rows;
  assert.ok(admin);
  const server = w.spawn(['server'], { PORT: '0', JWT_SECRET });
  const port = Number((await server.waitForLog((l) => l.msg === 'server listening')).port);
  // USER_MAX_CONCURRENT_JOBS lifted: a deferred job comes back after the figures below are read.
  const subA = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '3', USER_MAX_CONCURRENT_JOBS: '1000' });
  const subB = await startSubscriber(w, { SUBSCRIBER_MAX_CONCURRENT_JOBS: '4', USER_MAX_CONCURRENT_JOBS: '1000' });
  const token = await mintToken(JWT_SECRET, { userId, admin: true });
  const overview = async (): Promise<OverviewJson> => {
    const res = await fetch(`http://127.0.0.1:${port}/diary.v1.AdminService/GetOverview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as OverviewJson;
  };

  // Pub/Sub hands each message to both subscribers: one stores it, the other finds it current or
  // claimed elsewhere; a malformed message is rejected by both.
  for (const date of dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date }));
  await w.publishRaw('not json');
  await eventually(async () => (await w.doneCount(userId)) === dates.length, 30_000, 'jobs done');
  // Both subscribers finished (nothing in flight) before their figures are read.
  const own = await eventually(async () => {
    const [a, b] = await Promise.all([ownMetrics(subA), ownMetrics(subB)]);
    return a.rejected === 1 && b.rejected === 1 && a.inFlight + b.inFlight === 0 ? ([a, b] as const) : undefined;
  }, 20_000, 'both subscribers idle');
  const [a, b] = own;
  const want = { processed: a.processed + b.processed, failed: a.failed + b.failed, rejected: 2, inFlight: 0 };
  assert.ok(want.processed >= dates.length);

  // Each process reports every 5 s: the dashboard catches up with the sum.
  const o = await eventually(async () => {
    const got = await overview();
    const figures = {
      processed: Number(got.processedTotal ?? 0),
      failed: Number(got.failedTotal ?? 0),
      rejected: Number(got.rejectedTotal ?? 0),
      inFlight: Number(got.inFlight ?? 0),
    };
    return JSON.stringify(figures) === JSON.stringify(want) ? got : undefined;
  }, 20_000, 'dashboard figures equal the sum of the subscribers’ /metrics');

  const fleet = o.fleet ?? [];
  const subs = fleet.filter((m) => m.role === 'subscriber');
  assert.deepEqual(subs.map((m) => m.pid).sort(), [subA.proc.pid, subB.proc.pid].sort());
  assert.deepEqual(subs.map((m) => m.concurrency).sort(), [3, 4]);
  assert.equal(subs.reduce((n, m) => n + Number(m.totals?.processed ?? 0), 0), want.processed);
  const srv = fleet.find((m) => m.role === 'server');
  assert.equal(srv?.pid, server.proc.pid);
  for (const m of fleet) {
    assert.ok(m.host.length > 0);
    assert.match(m.version, /^\d+\.\d+\.\d+/);
  }

  // `status` reads the same fleet.
  const status = await w.run(['status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { fleet: { totals: { processed: number; rejected: number }; members: Array<{ role: string }> } };
  assert.equal(report.fleet.totals.processed, want.processed);
  assert.equal(report.fleet.totals.rejected, 2);
  assert.equal(report.fleet.members.filter((m) => m.role === 'subscriber').length, 2);

  // A subscriber that stops leaves the fleet, and its figures with it.
  assert.equal(await subB.stop(), 0);
  const left = await overview();
  assert.deepEqual((left.fleet ?? []).filter((m) => m.role === 'subscriber').map((m) => m.pid), [subA.proc.pid]);
  assert.equal(Number(left.processedTotal ?? 0), a.processed);
  assert.equal(await subA.stop(), 0);
  assert.equal(await server.stop(), 0);
});
