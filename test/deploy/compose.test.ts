// Static checks of the Docker packaging (no Docker engine needed): docker-compose.yml, the
// Dockerfile, .dockerignore, the Prometheus scrape config and the provisioned Grafana dashboard.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Registry, collectDefaultMetrics } from 'prom-client';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const readYaml = (path: string): unknown => parse(read(path), { merge: true });

// ---- the contract (DESIGN.md and issue 7), used where the source files do not exist yet ---------

/** Settings named in DESIGN.md plus AUTO_MIGRATE; replaced by the names in src/config.ts when it exists. */
const CONTRACT_ENV = [
  'REDIS_HOST', 'REDIS_PORT', 'REDIS_URL', 'DATABASE_URL', 'DATA_DIR', 'DIARY_CHANNEL', 'QUEUE_TRANSPORT',
  'SCHEDULER_INTERVAL', 'SCHEDULER_DAILY_INTERVAL', 'SCHEDULER_MONTHLY_INTERVAL',
  'SUBSCRIBER_MAX_CONCURRENT_JOBS', 'JOB_TIMEOUT', 'JOB_LEASE', 'MAX_DELIVERIES', 'SUMMARY_MIN_CHARS',
  'DEFAULT_TIMEZONE', 'LLM_PROVIDER', 'LLM_BASE_URL', 'LLM_API_KEY', 'LLM_MODEL', 'LLM_MAX_RPM',
  'SECRET_KEY', 'JWT_SECRET', 'PORT', 'METRICS_PORT', 'LOG_LEVEL', 'AUTO_MIGRATE',
];

/** The diary_ metrics of issue 7; the dashboard must chart every one of them. */
const CONTRACT_METRICS = [
  'diary_messages_published_total', 'diary_messages_received_total', 'diary_messages_rejected_total',
  'diary_messages_shed_total', 'diary_jobs_processed_total', 'diary_job_duration_seconds', 'diary_jobs_in_flight',
  'diary_claim_conflicts_total', 'diary_llm_requests_total', 'diary_llm_request_duration_seconds',
  'diary_llm_tokens_total', 'diary_llm_errors_total', 'diary_scheduler_ticks_total',
  'diary_scheduler_tick_duration_seconds', 'diary_scheduler_targets_found', 'diary_stream_length',
  'diary_stream_pending', 'diary_stream_oldest_pending_seconds', 'diary_dead_letters', 'diary_redis_connected',
  'diary_redis_reconnects_total',
];
const CONTRACT_HISTOGRAMS = [
  'diary_job_duration_seconds', 'diary_llm_request_duration_seconds', 'diary_scheduler_tick_duration_seconds',
];

const APP_SERVICES = ['migrate', 'server', 'scheduler', 'subscriber'] as const;
const LONG_RUNNING = ['server', 'scheduler', 'subscriber'] as const;

// ---- small typed accessors over parsed YAML -------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, what: string): Obj {
  assert.ok(isObj(v), `${what} must be a mapping`);
  return v;
}
function arr(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what} must be a list`);
  return v;
}

/** `environment` as a map; list entries `NAME=value` or bare `NAME` (pass-through, null). */
function envOf(service: Obj): Map<string, string | null> {
  const env = service.environment;
  const out = new Map<string, string | null>();
  if (env === undefined) return out;
  if (Array.isArray(env)) {
    for (const entry of env) {
      const text = String(entry);
      const eq = text.indexOf('=');
      out.set(eq < 0 ? text : text.slice(0, eq), eq < 0 ? null : text.slice(eq + 1));
    }
  } else {
    for (const [k, v] of Object.entries(obj(env, 'environment'))) out.set(k, v === null ? null : String(v));
  }
  return out;
}

/** `depends_on` as service → condition (the short list form means service_started). */
function dependsOf(service: Obj): Map<string, string> {
  const deps = service.depends_on;
  const out = new Map<string, string>();
  if (deps === undefined) return out;
  if (Array.isArray(deps)) for (const d of deps) out.set(String(d), 'service_started');
  else for (const [k, v] of Object.entries(obj(deps, 'depends_on'))) out.set(k, String(obj(v, `depends_on.${k}`).condition ?? 'service_started'));
  return out;
}

/** `command` as tokens, whichever form it is written in. */
function commandOf(service: Obj): string[] {
  const c = service.command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c.map(String) : String(c).trim().split(/\s+/);
}

/** Networks a service joins (compose puts it on `default` when none is named). */
function networksOf(service: Obj): string[] {
  const n = service.networks;
  if (n === undefined) return ['default'];
  return Array.isArray(n) ? n.map(String) : Object.keys(obj(n, 'networks'));
}

/** Long- or short-syntax volume entries as { source, target }. */
function volumesOf(service: Obj): { source: string; target: string }[] {
  const v = service.volumes;
  if (v === undefined) return [];
  return arr(v, 'volumes').map((entry) => {
    if (typeof entry === 'string') {
      const [source = '', target = ''] = entry.split(':');
      return { source, target };
    }
    const e = obj(entry, 'volume');
    return { source: String(e.source ?? ''), target: String(e.target ?? '') };
  });
}

// ---- PromQL: which metric names does an expression use? ------------------------------------------

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or strings. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const rest = stripped.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

/** Metric names in a Grafana Prometheus variable query (`label_values(metric, label)` etc.). */
function metricNamesInVariable(query: string): string[] {
  const lv = /^\s*label_values\(\s*([^,)]+?)\s*(?:,|\))/.exec(query);
  if (lv?.[1]) return metricNamesIn(lv[1]);
  const qr = /^\s*query_result\((.*)\)\s*$/.exec(query);
  if (qr?.[1]) return metricNamesIn(qr[1]);
  const mn = /^\s*metrics\(/.test(query);
  return mn ? [] : metricNamesIn(query);
}

/** Every metric name the processes can expose: src/metrics.ts (or the contract) plus prom-client's defaults. */
async function knownMetricNames(): Promise<Set<string>> {
  const known = new Set<string>();
  const add = (name: string, type: string): void => {
    known.add(name);
    if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) known.add(name + s);
  };
  if (existsSync(join(ROOT, 'src/metrics.ts'))) {
    const source = read('src/metrics.ts');
    // A TalliedCounter is a counter whose hot-path sums reach prom-client at collect time.
    const re = /new\s+(Counter|Gauge|Histogram|Summary|TalliedCounter)\s*(?:<[^>]*>)?\s*\(\s*\{\s*name:\s*['"`]([a-zA-Z_:][\w:]*)['"`]/g;
    for (const m of source.matchAll(re)) add(m[2] ?? '', m[1] === 'TalliedCounter' ? 'counter' : (m[1] ?? '').toLowerCase());
    assert.ok(known.size > 0, 'no metric definitions found in src/metrics.ts (has its shape changed?)');
  } else {
    for (const name of CONTRACT_METRICS) add(name, CONTRACT_HISTOGRAMS.includes(name) ? 'histogram' : 'counter');
  }
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const m of await defaults.getMetricsAsJSON()) add(m.name, String(m.type));
  return known;
}

/**
 * The settings the app knows: the names in the `SETTINGS` table src/config.ts exports, or, if it
 * has no such export, every env name its source mentions; the DESIGN.md list before it exists.
 */
async function knownEnvNames(): Promise<{ names: Set<string>; from: string }> {
  const path = 'src/config.ts';
  if (!existsSync(join(ROOT, path))) return { names: new Set(CONTRACT_ENV), from: 'the DESIGN.md settings' };
  const mod: unknown = await import(pathToFileURL(join(ROOT, path)).href);
  const settings = isObj(mod) ? mod.SETTINGS : undefined;
  if (Array.isArray(settings) && settings.length > 0) {
    const names = new Set(settings.map((s) => String(obj(s, 'SETTINGS entry').name)));
    assert.ok(names.has('DATABASE_URL'), `${path} SETTINGS does not name DATABASE_URL`);
    return { names, from: `${path} (SETTINGS)` };
  }
  const source = read(path);
  const names = new Set<string>();
  for (const re of [/['"`]([A-Z][A-Z0-9_]+)['"`]/g, /\benv(?:\?)?\.([A-Z][A-Z0-9_]+)\b/g, /^\s*([A-Z][A-Z0-9_]+)\s*:/gm]) {
    for (const m of source.matchAll(re)) if (m[1]) names.add(m[1]);
  }
  assert.ok(names.has('DATABASE_URL'), `${path} does not name DATABASE_URL (has its shape changed?)`);
  return { names, from: path };
}

// ---- the files -----------------------------------------------------------------------------------

const compose = obj(readYaml('docker-compose.yml'), 'docker-compose.yml');
const services = obj(compose.services, 'services');
const service = (name: string): Obj => obj(services[name], `service ${name}`);
const topVolumes = isObj(compose.volumes) ? compose.volumes : {};
const topNetworks = isObj(compose.networks) ? compose.networks : {};

describe('docker-compose.yml', () => {
  test('has the data stores, the app services and the monitoring services', () => {
    for (const name of ['redis', 'postgres', ...APP_SERVICES, 'prometheus', 'grafana']) {
      assert.ok(isObj(services[name]), `service ${name} is missing`);
    }
  });

  test('redis runs redis:8-alpine with AOF on a named volume and a redis-cli ping healthcheck', () => {
    const redis = service('redis');
    assert.equal(redis.image, 'redis:8-alpine');
    const cmd = commandOf(redis);
    const i = cmd.indexOf('--appendonly');
    assert.ok(i >= 0 && cmd[i + 1] === 'yes', `redis command must contain "--appendonly yes": ${cmd.join(' ')}`);
    const data = volumesOf(redis).find((v) => v.target === '/data');
    assert.ok(data, 'redis must mount a volume at /data');
    assert.ok(data.source in topVolumes, `redis /data must be a named volume declared under volumes:, got ${data.source}`);
    const hc = JSON.stringify(obj(redis.healthcheck, 'redis.healthcheck').test);
    assert.match(hc, /redis-cli ping/);
  });

  test('postgres runs postgres:16-alpine with a pg_isready healthcheck and a named volume', () => {
    const pg = service('postgres');
    assert.equal(pg.image, 'postgres:16-alpine');
    assert.match(JSON.stringify(obj(pg.healthcheck, 'postgres.healthcheck').test), /pg_isready/);
    const data = volumesOf(pg).find((v) => v.target === '/var/lib/postgresql/data');
    assert.ok(data && data.source in topVolumes, 'postgres must keep its data on a named volume');
  });

  test('redis and postgres are not published on the host and share a network with the app', () => {
    for (const name of ['redis', 'postgres']) {
      assert.equal(service(name).ports, undefined, `${name} must not publish ports (see the comment for development)`);
      for (const app of APP_SERVICES) {
        const shared = networksOf(service(name)).filter((n) => networksOf(service(app)).includes(n));
        assert.ok(shared.length > 0, `${app} cannot reach ${name}: no shared network`);
      }
    }
  });

  test('every network a service joins is declared', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const n of networksOf(obj(svc, name))) {
        assert.ok(n === 'default' || n in topNetworks, `${name} joins undeclared network ${n}`);
      }
    }
  });

  test('app services are built from the Dockerfile and run their own command', () => {
    for (const name of APP_SERVICES) {
      const svc = service(name);
      const build = svc.build;
      const context = typeof build === 'string' ? build : String(obj(build, `${name}.build`).context ?? '');
      const dockerfile = isObj(build) && build.dockerfile !== undefined ? String(build.dockerfile) : 'Dockerfile';
      assert.ok(['.', './'].includes(context), `${name} must build from the repository root, got ${context}`);
      assert.equal(dockerfile, 'Dockerfile', `${name} must build from the Dockerfile`);
      assert.equal(svc.entrypoint, undefined, `${name} must keep the image's entrypoint (node dist/cli.js)`);
      assert.deepEqual(commandOf(svc).slice(0, 1), [name], `${name} must run \`diary-events ${name}\``);
    }
  });

  test('app services get the database, Redis, transport and AUTO_MIGRATE=false', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(service(name));
      const db = env.get('DATABASE_URL') ?? '';
      assert.match(db, /^postgres(?:ql)?:\/\/[^@]+@postgres:5432\/\S+$/, `${name}: DATABASE_URL must point at the postgres service`);
      assert.equal(env.get('REDIS_HOST'), 'redis', `${name}: REDIS_HOST`);
      assert.equal(env.get('REDIS_PORT'), '6379', `${name}: REDIS_PORT`);
      assert.equal(env.get('QUEUE_TRANSPORT'), '${QUEUE_TRANSPORT:-pubsub}', `${name}: QUEUE_TRANSPORT must default to pubsub and be overridable`);
      assert.equal(env.get('AUTO_MIGRATE'), 'false', `${name}: AUTO_MIGRATE must be false (the migrate service runs first)`);
      assert.ok(!env.has('REDIS_URL'), `${name}: REDIS_URL would override REDIS_HOST/REDIS_PORT`);
    }
    assert.equal(envOf(service('server')).get('PORT'), '8080');
    for (const name of LONG_RUNNING) assert.equal(envOf(service(name)).get('METRICS_PORT'), '9464', `${name}: METRICS_PORT`);
  });

  test("the server listens on every interface, and its /metrics and /readyz stay off the published port", () => {
    const env = envOf(service('server'));
    assert.equal(env.get('HOST'), '0.0.0.0');
    const ports = arr(service('server').ports, 'server.ports').map((p) => (isObj(p) ? String(p.target) : String(p).split(':').at(-1)));
    assert.ok(!ports.includes(env.get('METRICS_PORT') ?? ''), `server must not publish METRICS_PORT, got ${ports.join(', ')}`);
    for (const name of ['LLM_PROVIDER', 'LLM_BASE_URL', 'LLM_MODEL', 'LLM_ALLOWED_HOSTS', 'LLM_ALLOWED_MODELS']) {
      assert.ok(env.has(name), `server: ${name} (settings are checked when saved)`);
      assert.ok(envOf(service('subscriber')).has(name), `subscriber: ${name}`);
    }
    assert.ok(!env.has('LLM_API_KEY'), 'the server never calls the LLM: no key for it');
  });

  test("every app service's environment names are real settings", async () => {
    const { names, from } = await knownEnvNames();
    for (const name of APP_SERVICES) {
      for (const key of envOf(service(name)).keys()) {
        assert.ok(names.has(key), `${name}: ${key} is not a setting read by ${from}`);
      }
    }
  });

  test('${...} interpolations are well formed', () => {
    const text = read('docker-compose.yml').replace(/^\s*#.*$/gm, '');
    for (const m of text.matchAll(/\$(?!\$)(\{[^}]*\}|\w+)?/g)) {
      const prev = text[(m.index ?? 0) - 1];
      if (prev === '$') continue; // `$$` escapes a literal dollar
      assert.match(m[1] ?? '', /^\{[A-Za-z_]\w*(?:(?::?-|:?\?)[^}]*)?\}$/, `bad interpolation near: ${text.slice(m.index, (m.index ?? 0) + 40)}`);
    }
  });

  test('migrate is one-shot after postgres; the others wait for it to complete', () => {
    const migrate = service('migrate');
    assert.equal(String(migrate.restart ?? 'no'), 'no', 'migrate must not restart');
    assert.equal(dependsOf(migrate).get('postgres'), 'service_healthy');
    assert.ok(!dependsOf(migrate).has('migrate'));
    for (const name of LONG_RUNNING) {
      const deps = dependsOf(service(name));
      assert.equal(deps.get('redis'), 'service_healthy', `${name} must wait for redis to be healthy`);
      assert.equal(deps.get('migrate'), 'service_completed_successfully', `${name} must wait for migrate to complete`);
      assert.notEqual(service(name).restart, 'no', `${name} is long-running and should restart`);
    }
  });

  test('subscriber (and scheduler) can be scaled: no container_name, no host ports', () => {
    for (const name of ['subscriber', 'scheduler']) {
      const svc = service(name);
      assert.equal(svc.container_name, undefined, `${name} must not set container_name`);
      assert.equal(svc.ports, undefined, `${name} must not publish host ports`);
    }
  });

  test('server publishes the API port', () => {
    const ports = arr(service('server').ports, 'server.ports').map((p) => (isObj(p) ? `${p.published}:${p.target}` : String(p)));
    assert.ok(ports.some((p) => /:8080$/.test(p)), `server must publish container port 8080, got ${ports.join(', ')}`);
  });

  test('prometheus and grafana mount the files under deploy/ and reach the app', () => {
    const prom = service('prometheus');
    assert.match(String(prom.image), /^prom\/prometheus(?::|$)/);
    const promConfig = volumesOf(prom).find((v) => v.target === '/etc/prometheus/prometheus.yml');
    assert.equal(promConfig?.source, './deploy/prometheus/prometheus.yml');
    assert.ok(existsSync(join(ROOT, 'deploy/prometheus/prometheus.yml')));
    for (const name of LONG_RUNNING) {
      const shared = networksOf(prom).filter((n) => networksOf(service(name)).includes(n));
      assert.ok(shared.length > 0, `prometheus cannot scrape ${name}: no shared network`);
    }
    const grafana = service('grafana');
    assert.match(String(grafana.image), /^grafana\/grafana(?::|$)/);
    const prov = volumesOf(grafana).find((v) => v.target === '/etc/grafana/provisioning');
    assert.equal(prov?.source, './deploy/grafana/provisioning');
    assert.ok(networksOf(grafana).some((n) => networksOf(prom).includes(n)), 'grafana cannot reach prometheus');
  });
});

// ---- Dockerfile ----------------------------------------------------------------------------------

interface Stage { from: string; name: string | undefined; lines: string[] }

/** Instructions per stage, with line continuations joined, comments dropped and ARG defaults applied to FROM. */
function dockerStages(text: string): Stage[] {
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const image = (from[1] ?? '').replace(/\$\{?(\w+)\}?/g, (_, n: string) => args.get(n) ?? '');
      stages.push({ from: image, name: from[2]?.toLowerCase(), lines: [] });
      continue;
    }
    const arg = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg && stages.length === 0) args.set(arg[1] ?? '', arg[2] ?? '');
    stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const final = stages.at(-1);

  test('is multi-stage on node:20-bookworm-slim', () => {
    assert.ok(stages.length >= 2, `expected at least 2 stages, got ${stages.length}`);
    for (const s of stages) {
      const base = stages.find((t) => t.name === s.from.toLowerCase());
      if (!base) assert.equal(s.from, 'node:20-bookworm-slim', `stage ${s.name ?? '?'} base image`);
    }
  });

  test('an earlier stage installs everything with npm ci and builds dist/', () => {
    const earlier = stages.slice(0, -1).flatMap((s) => s.lines);
    assert.ok(earlier.some((l) => /^RUN\b.*\bnpm ci\b/.test(l) && !/--omit=dev/.test(l)), 'no full `npm ci` before the final stage');
    assert.ok(earlier.some((l) => /^RUN\b.*\bnpm run build\b/.test(l) || (/^RUN\b.*\bnpm ci\b/.test(l) && !/--ignore-scripts/.test(l))),
      'no build (`npm run build`, or `npm ci` running prepare) before the final stage');
  });

  test('the final stage installs production dependencies only and copies dist/ from the build', () => {
    assert.ok(final);
    assert.ok(final.lines.some((l) => /^RUN\b.*\bnpm ci\b[^&;]*--omit=dev/.test(l) && /--ignore-scripts/.test(l)),
      'final stage must run `npm ci --omit=dev --ignore-scripts` (prepare would need tsc)');
    assert.ok(final.lines.some((l) => /^COPY\s+--from=\S+\s+\S*dist\/?\s+\S*dist\/?$/.test(l)), 'final stage must copy dist/ from a build stage');
    assert.ok(!final.lines.some((l) => /^RUN\b.*\bnpm run build\b/.test(l)), 'the final stage must not build');
  });

  test('the final stage runs as a non-root user with the CLI as entrypoint', () => {
    assert.ok(final);
    const users = final.lines.filter((l) => /^USER\s/i.test(l));
    assert.ok(users.length > 0, 'final stage has no USER');
    const user = (users.at(-1) ?? '').split(/\s+/)[1] ?? '';
    assert.ok(!['root', '0', '0:0', 'root:root'].includes(user), `final USER is ${user}`);
    const entry = final.lines.filter((l) => /^ENTRYPOINT\s/i.test(l)).at(-1) ?? '';
    assert.deepEqual(JSON.parse(entry.replace(/^ENTRYPOINT\s+/i, '')), ['node', 'dist/cli.js']);
  });

  test('exposes the API and metrics ports and health-checks /healthz', () => {
    assert.ok(final);
    const exposed = final.lines.filter((l) => /^EXPOSE\s/i.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
    for (const port of ['8080', '9464']) assert.ok(exposed.some((e) => e.replace(/\/tcp$/, '') === port), `EXPOSE ${port}`);
    assert.ok(final.lines.some((l) => /^HEALTHCHECK\b.*\/healthz/.test(l)), 'HEALTHCHECK must hit /healthz');
  });

  test('.dockerignore keeps node_modules, dist and .git out of the context', () => {
    const ignored = read('.dockerignore').split(/\r?\n/).map((l) => l.trim().replace(/\/$/, ''));
    for (const entry of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(entry), `.dockerignore must list ${entry}`);
    assert.ok(!ignored.includes('src') && !ignored.includes('package-lock.json'), '.dockerignore must not drop build inputs');
  });
});

// ---- Prometheus ----------------------------------------------------------------------------------

describe('deploy/prometheus/prometheus.yml', () => {
  const config = obj(readYaml('deploy/prometheus/prometheus.yml'), 'prometheus.yml');
  const jobs = arr(config.scrape_configs, 'scrape_configs').map((j) => obj(j, 'scrape config'));

  /** host:port pairs a scrape config targets, static or DNS-discovered. */
  function targetsOf(job: Obj): { host: string; port: string; dns: string | undefined }[] {
    const out: { host: string; port: string; dns: string | undefined }[] = [];
    for (const sc of (job.static_configs as unknown[] | undefined) ?? []) {
      for (const t of arr(obj(sc, 'static_config').targets, 'targets')) {
        const [host = '', port = ''] = String(t).split(':');
        out.push({ host, port, dns: undefined });
      }
    }
    for (const dc of (job.dns_sd_configs as unknown[] | undefined) ?? []) {
      const d = obj(dc, 'dns_sd_config');
      for (const n of arr(d.names, 'names')) out.push({ host: String(n), port: String(d.port ?? ''), dns: String(d.type ?? 'SRV') });
    }
    return out;
  }
  const all = jobs.flatMap((j) => targetsOf(j).map((t) => ({ ...t, path: String(j.metrics_path ?? '/metrics') })));

  test('scrapes server, scheduler and subscriber on METRICS_PORT 9464 at /metrics', () => {
    for (const [host, port] of [['server', '9464'], ['scheduler', '9464'], ['subscriber', '9464']] as const) {
      const t = all.find((x) => x.host === host);
      assert.ok(t, `no scrape target for ${host}`);
      assert.equal(t.port, port, `${host} port`);
      assert.equal(t.path, '/metrics', `${host} metrics path`);
    }
  });

  test('finds every subscriber replica through DNS A records', () => {
    const t = all.find((x) => x.host === 'subscriber');
    assert.equal(t?.dns, 'A', 'subscriber must use dns_sd_configs with type A');
  });

  test('the ports match the ones the compose services are told to listen on', () => {
    const expected: Record<string, string | null | undefined> = {
      server: envOf(service('server')).get('METRICS_PORT'),
      scheduler: envOf(service('scheduler')).get('METRICS_PORT'),
      subscriber: envOf(service('subscriber')).get('METRICS_PORT'),
    };
    for (const [host, port] of Object.entries(expected)) {
      assert.equal(all.find((x) => x.host === host)?.port, port, `${host}: prometheus port vs compose environment`);
    }
  });
});

// ---- Grafana -------------------------------------------------------------------------------------

describe('Grafana provisioning and dashboard', () => {
  const dsFile = obj(readYaml('deploy/grafana/provisioning/datasources/prometheus.yml'), 'datasources file');
  const datasources = arr(dsFile.datasources, 'datasources').map((d) => obj(d, 'datasource'));
  const promDs = datasources.find((d) => d.type === 'prometheus');
  const providers = arr(obj(readYaml('deploy/grafana/provisioning/dashboards/dashboards.yml'), 'dashboards file').providers, 'providers').map((p) => obj(p, 'provider'));
  const dashboard = obj(JSON.parse(read('deploy/grafana/dashboards/diary-events.json')), 'dashboard');
  const panels = arr(dashboard.panels, 'panels').map((p) => obj(p, 'panel'))
    .flatMap((p) => [p, ...((p.panels as unknown[] | undefined) ?? []).map((q) => obj(q, 'nested panel'))]);
  const graphPanels = panels.filter((p) => p.type !== 'row');
  const targets = graphPanels.flatMap((p) => arr(p.targets, `targets of ${String(p.title)}`).map((t) => ({ panel: p, target: obj(t, 'target') })));
  const variables = arr(obj(dashboard.templating ?? { list: [] }, 'templating').list, 'templating.list').map((v) => obj(v, 'variable'));

  test('a Prometheus data source with a fixed uid points at the prometheus service', () => {
    assert.ok(promDs, 'no prometheus data source provisioned');
    assert.equal(typeof promDs.uid, 'string');
    assert.equal(promDs.url, 'http://prometheus:9090');
  });

  test('the dashboard provider loads the directory compose mounts the dashboards into', () => {
    const mount = volumesOf(service('grafana')).find((v) => v.source === './deploy/grafana/dashboards');
    assert.ok(mount, 'compose must mount deploy/grafana/dashboards into grafana');
    const paths = providers.filter((p) => p.type === 'file').map((p) => String(obj(p.options, 'provider.options').path));
    assert.ok(paths.includes(mount.target), `provider path(s) ${paths.join(', ')} vs mount ${mount.target}`);
  });

  test('the dashboard is valid: schemaVersion >= 36, unique panel ids, every panel has a query', () => {
    assert.equal(typeof dashboard.uid, 'string');
    assert.equal(typeof dashboard.title, 'string');
    assert.ok(typeof dashboard.schemaVersion === 'number' && dashboard.schemaVersion >= 36, `schemaVersion ${String(dashboard.schemaVersion)}`);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids must be unique');
    for (const p of graphPanels) {
      const pos = obj(p.gridPos, `gridPos of ${String(p.title)}`);
      assert.ok(Number(pos.x) + Number(pos.w) <= 24, `${String(p.title)} is wider than the grid`);
      const exprs = arr(p.targets, 'targets').map((t) => String(obj(t, 'target').expr ?? '').trim());
      assert.ok(exprs.length > 0 && exprs.every((e) => e.length > 0), `${String(p.title)} has an empty query`);
    }
  });

  test("every panel and query uses the provisioned data source's uid", () => {
    assert.ok(promDs);
    const uses = [
      ...graphPanels.map((p) => ({ where: `panel ${String(p.title)}`, ds: p.datasource })),
      ...targets.map(({ panel, target }) => ({ where: `query ${String(target.refId)} of ${String(panel.title)}`, ds: target.datasource })),
      ...variables.filter((v) => v.type === 'query').map((v) => ({ where: `variable ${String(v.name)}`, ds: v.datasource })),
    ];
    for (const { where, ds } of uses) {
      assert.equal(obj(ds, `${where} datasource`).uid, promDs.uid, `${where}`);
    }
  });

  test('the metric-name extractor finds names and skips functions, labels and keywords', () => {
    assert.deepEqual(
      metricNamesIn('histogram_quantile(0.95, sum by (le, type) (rate(diary_bogus_bucket{job=~"$job",a="x y"}[$__rate_interval]))) / on(job) group_left other_total offset 5m'),
      ['diary_bogus_bucket', 'other_total'],
    );
    assert.deepEqual(metricNamesInVariable('label_values(nodejs_version_info, job)'), ['nodejs_version_info']);
  });

  test('every metric the dashboard queries is one the processes expose', async () => {
    const known = await knownMetricNames();
    assert.ok(!known.has('diary_bogus_bucket'));
    const used = [
      ...targets.map(({ panel, target }) => ({ where: String(panel.title), names: metricNamesIn(String(target.expr)) })),
      ...variables.filter((v) => v.type === 'query').map((v) => {
        const q = isObj(v.query) ? String(v.query.query ?? '') : String(v.query ?? v.definition ?? '');
        return { where: `variable ${String(v.name)}`, names: metricNamesInVariable(q) };
      }),
    ];
    for (const { where, names } of used) {
      assert.ok(names.length > 0, `${where}: no metric found in its query`);
      for (const n of names) assert.ok(known.has(n), `${where}: unknown metric ${n}`);
    }
  });

  test('the dashboard charts every pipeline metric of issue 7', () => {
    const used = new Set(targets.flatMap(({ target }) => metricNamesIn(String(target.expr))).map((n) => n.replace(/_(?:bucket|sum|count)$/, '')));
    for (const m of CONTRACT_METRICS) assert.ok(used.has(m), `no panel shows ${m}`);
    assert.ok(used.has('process_resident_memory_bytes'), 'no panel shows process RSS');
  });

  test("scheduler metrics use exported_job (Prometheus renames the metric's `job` label)", () => {
    for (const { panel, target } of targets) {
      const expr = String(target.expr);
      if (!/diary_scheduler_/.test(expr)) continue;
      assert.ok(!/\bby\s*\([^)]*\bjob\b[^)]*\)/.test(expr), `${String(panel.title)} groups by job, which is the scrape job here`);
    }
  });
});
