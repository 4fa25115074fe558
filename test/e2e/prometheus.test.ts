// A real Prometheus (Debian's, as CI installs it) scraping the compose layout's processes — server,
// scheduler, subscriber, each on its METRICS_PORT — with the scrape jobs of
// deploy/prometheus/prometheus.yml and its alerts.yml: what its HTTP API answers equals what the
// processes report on /metrics, every query of the Grafana dashboard runs there, and every alert
// rule evaluates without error. Without prometheus installed this test fails, it does not skip.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { eventually, type CliProcess } from '../helpers/cli.js';
import { createWorld, startSubscriber, type World } from './fixture.js';

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const JWT_SECRET = 'prometheus-test-jwt-secret-0123456789ab';

let w: World;
let dir: string;
let prom: ChildProcess | undefined;
let promLog = '';
before(async () => {
  w = await createWorld('pubsub');
  dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
});
after(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom?.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Sum of a metric's samples on a /metrics page whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === name && want.every((x) => (m[2] ?? '').includes(x))) total += Number(m[3]);
  }
  return total;
}

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function metricsPort(p: CliProcess, msg: string): Promise<number> {
  return Number((await p.waitForLog((l) => l.msg === msg)).metrics_port);
}

test('Prometheus scrapes every process and answers with their own figures, the dashboard’s queries and the alert rules', async () => {
  assert.ok(existsSync(PROMETHEUS), `no prometheus at ${PROMETHEUS}: apt-get install prometheus (CI's .ci/run does)`);
  const { userId, dates } = await w.seed(3);

  const server = w.spawn(['server'], { PORT: '0', JWT_SECRET });
  const scheduler = w.spawn(['scheduler'], { SCHEDULER_INTERVAL: '5m' });
  const sub = await startSubscriber(w);
  const ports = {
    server: await metricsPort(server, 'server listening'),
    scheduler: await metricsPort(scheduler, 'scheduler running'),
    subscriber: await metricsPort(sub, 'metrics listening'),
  };

  // The scrape jobs of deploy/prometheus/prometheus.yml, on loopback instead of Docker's DNS.
  const promPort = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(join(DEPLOY, 'prometheus/alerts.yml'))}`,
      'scrape_configs:',
      ...Object.entries(ports).flatMap(([job, port]) => [
        `  - job_name: ${job}`,
        '    static_configs:',
        `      - targets: ["127.0.0.1:${port}"]`,
        '        labels:',
        `          role: ${job}`,
      ]),
      '',
    ].join('\n'),
  );
  prom = spawn(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prom.stdout?.setEncoding('utf8').on('data', (c: string) => (promLog += c));
  prom.stderr?.setEncoding('utf8').on('data', (c: string) => (promLog += c));
  const api = `http://127.0.0.1:${promPort}`;
  const query = async (q: string): Promise<Vector[]> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Vector[] } };
    assert.equal(body.status, 'success', `${q}: ${body.error ?? ''}`);
    return body.data?.resultType === 'vector' ? body.data.result : [];
  };
  const scalar = async (q: string): Promise<number | undefined> => {
    const [v] = await query(q);
    return v ? Number(v.value[1]) : undefined;
  };
  await eventually(
    async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true,
    15_000,
    `prometheus ready (log: ${promLog.slice(-500)})`,
  );
  await eventually(async () => (await scalar('sum(up)')) === 3, 15_000, 'all three processes scraped and up');

  // Work for the subscriber: three jobs and a malformed message.
  for (const date of dates) await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date }));
  await w.publishRaw('not json');
  await eventually(async () => (await w.doneCount(userId)) === dates.length, 20_000, 'jobs done');
  // The subscriber's own figures once it is idle (the scheduler's first tick may have sent the
  // same jobs: those find their summary current, and `done` stays one per day).
  const own = await eventually(async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.subscriber}/metrics`)).text();
    const idle = sample(text, 'diary_jobs_in_flight') === 0 && sample(text, 'diary_messages_rejected_total') === 1;
    return idle && sample(text, 'diary_jobs_processed_total', { outcome: 'done' }) === dates.length ? text : undefined;
  }, 15_000, 'the subscriber idle, its jobs done');
  const figures = {
    done: sample(own, 'diary_jobs_processed_total', { outcome: 'done' }),
    rejected: sample(own, 'diary_messages_rejected_total'),
    llmOk: sample(own, 'diary_llm_requests_total', { outcome: 'ok' }),
    inFlight: 0,
  };

  // Prometheus catches up with what the subscriber reports itself.
  await eventually(async () => {
    const got = {
      done: await scalar('sum(diary_jobs_processed_total{job="subscriber",outcome="done"})'),
      rejected: await scalar('sum(diary_messages_rejected_total{job="subscriber",reason="not_json"})'),
      llmOk: await scalar('sum(diary_llm_requests_total{job="subscriber",outcome="ok"})'),
      inFlight: await scalar('sum(diary_jobs_in_flight{job="subscriber"})'),
    };
    return JSON.stringify(got) === JSON.stringify(figures);
  }, 15_000, `Prometheus answering the subscriber's figures ${JSON.stringify(figures)}`);
  // The scheduler's own `job` label is stored as `exported_job`, as the dashboard and alerts read it.
  const intervals = await query('max by (exported_job) (diary_scheduler_interval_seconds)');
  assert.deepEqual(
    Object.fromEntries(intervals.map((v) => [v.metric.exported_job, Number(v.value[1])])),
    // llm_batch runs with LLM_BATCH off too, to drain what was set aside (every minute at most).
    { daily_summary: 300, monthly_summary: 300, job_history_prune: 300, llm_batch: 60 },
  );
  // The target's `role` label wins, as in prometheus.yml: the metric's own (the connection's) is `exported_role`.
  assert.equal(await scalar('max(diary_redis_connected{job="server",role="server",exported_role="main"})'), 1);

  // Every query of the Grafana dashboard is valid PromQL here, with its variables as Grafana fills them.
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/diary-events.json'), 'utf8')) as {
    panels: Array<{ title?: string; targets?: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title ?? '', expr: t.expr })));
  assert.ok(exprs.length > 30);
  for (const { title, expr } of exprs) {
    await query(expr.replaceAll('$job', '.+').replaceAll('$__rate_interval', '4s')).catch((err: Error) => assert.fail(`${title}: ${err.message}`));
  }
  // And the stat panels answer with the fleet's figures.
  const panel = (title: string) => (exprs.find((e) => e.title === title)?.expr ?? '').replaceAll('$job', '.+');
  assert.equal(await scalar(panel('Jobs in flight')), 0);
  assert.equal(await scalar(panel('Dead letters')), 0);
  assert.equal(await scalar(panel('Redis down')), 0);

  // The alert rules load and evaluate without error.
  const rules = await eventually(async () => {
    const body = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const all = body.data.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
  }, 10_000, 'every rule evaluated');
  assert.deepEqual(
    rules.map((r) => r.name).sort(),
    [...readFileSync(join(DEPLOY, 'prometheus/alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]).sort(),
  );
  for (const r of rules) assert.equal(r.lastError ?? '', '', r.name);

  assert.equal(await sub.stop(), 0);
  assert.equal(await scheduler.stop(), 0);
  assert.equal(await server.stop(), 0);
});
