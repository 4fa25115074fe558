// Settings (DESIGN.md "Settings"): defaults, durations, overrides, one clear error per bad value,
// no secret in any error, a frozen result, and SETTINGS kept in step with the code and the design.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, MAX_DURATION_MS, SETTINGS, loadConfig, parseDuration, type Config } from '../src/config.js';

type Env = Record<string, string | undefined>;

/** The error loadConfig throws for `env`, asserted to be a one-line ConfigError. */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    assert.ok(!err.message.includes('\n') && !err.message.includes('\r'), `one line: ${JSON.stringify(err.message)}`);
    return err;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

// ---- defaults --------------------------------------------------------------------------------

describe('defaults (DESIGN.md "Settings")', () => {
  const c = loadConfig({});

  it('match the table exactly', () => {
    assert.equal(c.redis.host, '127.0.0.1');
    assert.equal(c.redis.port, 6379);
    assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(c.redis.fromUrl, false);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './data');
    assert.equal(c.channel, 'diary_events');
    assert.equal(c.transport, 'pubsub');
    assert.equal(c.scheduler.dailyIntervalMs, 5 * 60_000);
    assert.equal(c.scheduler.monthlyIntervalMs, 5 * 60_000);
    assert.equal(c.subscriber.maxConcurrentJobs, 10);
    assert.equal(c.subscriber.jobTimeoutMs, 10 * 60_000);
    assert.equal(c.subscriber.jobLeaseMs, 30_000);
    assert.equal(c.subscriber.maxDeliveries, 5);
    assert.equal(c.summaryMinChars, 1000);
    assert.equal(c.defaultTimezone, 'Asia/Tokyo');
    assert.equal(c.llm.provider, 'extractive');
    assert.equal(c.llm.baseUrl, undefined);
    assert.equal(c.llm.apiKey, undefined);
    assert.equal(c.llm.model, undefined);
    assert.equal(c.llm.maxRpm, undefined);
    assert.equal(c.secretKey, undefined);
    assert.equal(c.jwtSecret, undefined);
    assert.equal(c.port, 8080);
    assert.equal(c.metricsPort, 9464);
    assert.equal(c.logLevel, 'info');
  });

  it('SETTINGS states the same defaults the code applies', () => {
    const def = (name: string): string => {
      const row = SETTINGS.find((s) => s.name === name);
      assert.ok(row, `SETTINGS has ${name}`);
      return row.default;
    };
    assert.equal(def('REDIS_HOST'), c.redis.host);
    assert.equal(def('REDIS_PORT'), String(c.redis.port));
    assert.equal(def('DATA_DIR'), c.dataDir);
    assert.equal(def('DIARY_CHANNEL'), c.channel);
    assert.equal(def('QUEUE_TRANSPORT'), c.transport);
    assert.equal(parseDuration(def('SCHEDULER_INTERVAL')), c.scheduler.dailyIntervalMs);
    assert.equal(def('SUBSCRIBER_MAX_CONCURRENT_JOBS'), String(c.subscriber.maxConcurrentJobs));
    assert.equal(def('SUBSCRIBER_BACKLOG'), String(c.subscriber.backlog));
    assert.equal(parseDuration(def('JOB_TIMEOUT')), c.subscriber.jobTimeoutMs);
    assert.equal(parseDuration(def('JOB_LEASE')), c.subscriber.jobLeaseMs);
    assert.equal(def('MAX_DELIVERIES'), String(c.subscriber.maxDeliveries));
    assert.equal(def('SUMMARY_MIN_CHARS'), String(c.summaryMinChars));
    assert.equal(def('DEFAULT_TIMEZONE'), c.defaultTimezone);
    assert.equal(def('LLM_PROVIDER'), c.llm.provider);
    assert.equal(parseDuration(def('LLM_TIMEOUT')), c.llm.timeoutMs);
    assert.equal(def('PORT'), String(c.port));
    assert.equal(def('METRICS_PORT'), String(c.metricsPort));
    assert.equal(def('LOG_LEVEL'), c.logLevel);
    assert.equal(def('AUTO_MIGRATE'), String(c.autoMigrate));
  });

  it('empty or blank values count as unset; values are trimmed', () => {
    const blank = loadConfig({ SCHEDULER_INTERVAL: '', REDIS_PORT: '   ', QUEUE_TRANSPORT: '', DEFAULT_TIMEZONE: ' ' });
    assert.equal(blank.scheduler.dailyIntervalMs, 300_000);
    assert.equal(blank.redis.port, 6379);
    assert.equal(blank.transport, 'pubsub');
    assert.equal(blank.defaultTimezone, 'Asia/Tokyo');
    const padded = loadConfig({ SCHEDULER_INTERVAL: ' 1m ', REDIS_PORT: ' 6380 ', QUEUE_TRANSPORT: 'streams\n' });
    assert.equal(padded.scheduler.dailyIntervalMs, 60_000);
    assert.equal(padded.redis.port, 6380);
    assert.equal(padded.transport, 'streams');
  });

  it('reads only the env it is given', () => {
    const saved = process.env.SCHEDULER_INTERVAL;
    process.env.SCHEDULER_INTERVAL = '5x';
    try {
      assert.equal(loadConfig({}).scheduler.dailyIntervalMs, 300_000);
    } finally {
      if (saved === undefined) delete process.env.SCHEDULER_INTERVAL;
      else process.env.SCHEDULER_INTERVAL = saved;
    }
  });
});

// ---- durations -------------------------------------------------------------------------------

describe('parseDuration', () => {
  it('parses 500ms, 30s, 5m, 1h and sequences', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('0ms'), 0);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration(' 5m '), 300_000);
  });

  it('rejects anything else', () => {
    for (const bad of ['', ' ', '5', '5x', '-1m', '+1m', '5 m', 'm5', 'ms', '1d', '1w', '5M', '5S', '5mm', '1e3ms', '.5s', '5.s', '1h 30m', '5m,', 'NaN', 'Infinity', '5min', '5sec', '１m', `${'9'.repeat(400)}h`]) {
      assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
    }
  });

  it('property: <n><unit> is n times the unit', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)), (n, unit) => {
        assert.equal(parseDuration(`${n}${unit}`), n * units[unit]);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a sequence is the sum of its parts', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
    const part = fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        assert.equal(parseDuration(text), parts.reduce((sum, [n, u]) => sum + n * units[u], 0), text);
      }),
    );
  });

  it('property: never throws; the result is undefined or a non-negative integer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9.]{0,6}(ms|s|m|h|d|x)?$/)), (s) => {
        const ms = parseDuration(s);
        assert.ok(ms === undefined || (Number.isSafeInteger(ms) && ms >= 0), `${JSON.stringify(s)} -> ${ms}`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('duration settings', () => {
  it('SCHEDULER_INTERVAL sets both jobs; SCHEDULER_DAILY_INTERVAL / SCHEDULER_MONTHLY_INTERVAL override each', () => {
    const both = loadConfig({ SCHEDULER_INTERVAL: '1m' });
    assert.deepEqual(both.scheduler, { dailyIntervalMs: 60_000, monthlyIntervalMs: 60_000, explicit: true, maxPerUser: 100 });
    const daily = loadConfig({ SCHEDULER_INTERVAL: '1m', SCHEDULER_DAILY_INTERVAL: '30s' });
    assert.deepEqual(daily.scheduler, { dailyIntervalMs: 30_000, monthlyIntervalMs: 60_000, explicit: true, maxPerUser: 100 });
    const monthly = loadConfig({ SCHEDULER_MONTHLY_INTERVAL: '1h' });
    assert.deepEqual(monthly.scheduler, { dailyIntervalMs: 300_000, monthlyIntervalMs: 3_600_000, explicit: true, maxPerUser: 100 });
    const each = loadConfig({ SCHEDULER_INTERVAL: '2h', SCHEDULER_DAILY_INTERVAL: '10s', SCHEDULER_MONTHLY_INTERVAL: '1h30m' });
    assert.deepEqual(each.scheduler, { dailyIntervalMs: 10_000, monthlyIntervalMs: 5_400_000, explicit: true, maxPerUser: 100 });
  });

  it('JOB_TIMEOUT, JOB_LEASE and LLM_TIMEOUT take durations', () => {
    const c = loadConfig({ JOB_TIMEOUT: '500ms', JOB_LEASE: '1m', LLM_TIMEOUT: '2m' });
    assert.equal(c.subscriber.jobTimeoutMs, 500);
    assert.equal(c.subscriber.jobLeaseMs, 60_000);
    assert.equal(c.llm.timeoutMs, 120_000);
  });

  it('a duration longer than a timer can hold (2^31-1 ms, about 596h) is refused, not silently turned into 1 ms', () => {
    assert.equal(MAX_DURATION_MS, 2 ** 31 - 1);
    for (const name of ['SCHEDULER_INTERVAL', 'SCHEDULER_DAILY_INTERVAL', 'SCHEDULER_MONTHLY_INTERVAL', 'JOB_TIMEOUT', 'JOB_LEASE', 'LLM_TIMEOUT']) {
      const err = configError({ [name]: '1000h' });
      assert.match(err.message, new RegExp(`\\b${name}\\b`));
      assert.equal(loadConfig({ [name]: '596h' }) !== undefined, true, `${name}=596h is fine`);
    }
  });

  it('intervals shorter than a second are refused', () => {
    for (const name of ['SCHEDULER_INTERVAL', 'SCHEDULER_DAILY_INTERVAL', 'SCHEDULER_MONTHLY_INTERVAL', 'JOB_LEASE']) {
      assert.match(configError({ [name]: '500ms' }).message, new RegExp(`\\b${name}\\b`));
      assert.match(configError({ [name]: '0s' }).message, new RegExp(`\\b${name}\\b`));
    }
  });
});

// ---- Redis and database URLs ------------------------------------------------------------------

describe('REDIS_URL, REDIS_HOST, REDIS_PORT', () => {
  it('REDIS_CLUSTER_NODES and QUEUE_PARTITIONS are read as seeds and a count', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, [::1]:7001 ,redis-2:7002', QUEUE_PARTITIONS: '64' });
    assert.deepEqual(c.redis.clusterNodes, ['10.0.0.1:7000', '[::1]:7001', 'redis-2:7002']);
    assert.equal(c.queuePartitions, 64);
    assert.deepEqual(loadConfig({}).redis.clusterNodes, []);
    assert.equal(loadConfig({}).queuePartitions, 1);
  });

  it('REDIS_HOST and REDIS_PORT build the URL', () => {
    const c = loadConfig({ REDIS_HOST: 'redis.internal', REDIS_PORT: '6380' });
    assert.deepEqual({ ...c.redis }, { url: 'redis://redis.internal:6380', host: 'redis.internal', port: 6380, fromUrl: false, clusterNodes: [] });
    assert.equal(loadConfig({ REDIS_HOST: '::1' }).redis.url, 'redis://[::1]:6379');
    assert.equal(loadConfig({ REDIS_HOST: '[::1]' }).redis.url, 'redis://[::1]:6379');
    assert.equal(loadConfig({ REDIS_HOST: '10.0.0.7' }).redis.url, 'redis://10.0.0.7:6379');
  });

  it('REDIS_URL overrides host and port, and keeps user and password as written', () => {
    const url = 'rediss://app:s3cr%40t@redis.example.com:6380/2';
    const c = loadConfig({ REDIS_URL: url, REDIS_HOST: 'ignored.example', REDIS_PORT: '1234' });
    assert.equal(c.redis.url, url);
    assert.equal(c.redis.fromUrl, true);
    assert.equal(c.redis.host, 'redis.example.com');
    assert.equal(c.redis.port, 6380);
    const u = new URL(c.redis.url);
    assert.equal(u.username, 'app');
    assert.equal(decodeURIComponent(u.password), 's3cr@t');
    const noPort = loadConfig({ REDIS_URL: 'redis://:pw@[::1]' });
    assert.equal(noPort.redis.host, '::1');
    assert.equal(noPort.redis.port, 6379);
  });

  it('with REDIS_URL set, REDIS_PORT is not read (Kubernetes injects REDIS_PORT=tcp://… beside a Service named redis)', () => {
    const c = loadConfig({ REDIS_URL: 'redis://redis:6379', REDIS_PORT: 'tcp://10.0.0.1:6379' });
    assert.equal(c.redis.port, 6379);
    const err = configError({ REDIS_PORT: 'tcp://10.0.0.1:6379' });
    assert.match(err.message, /REDIS_PORT/);
  });

  it('DATABASE_URL accepts postgres:// and postgresql:// as written, including the socket form pg understands', () => {
    for (const url of [
      'postgres://app:pw@db.example.com:5432/diary',
      'postgresql://app@localhost/diary?sslmode=require',
      'postgres://app:pw@/diary?host=/var/run/postgresql',
      'postgres:///diary?host=/tmp',
    ]) {
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
    }
  });
});

// ---- LLM ------------------------------------------------------------------------------------

describe('LLM settings', () => {
  it('openai with a base URL and a model', () => {
    const c = loadConfig({ LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MODEL: 'llama3.1', LLM_API_KEY: 'sk-test', LLM_MAX_RPM: '60' });
    assert.deepEqual({ ...c.llm }, { provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-test', model: 'llama3.1', maxRpm: 60, maxTpm: undefined, timeoutMs: 60_000, maxRetries: 4, allowedHosts: [], allowedModels: [], batch: false, batchMaxWaitMs: 3_600_000, prices: new Map() });
  });

  it('openai without LLM_BASE_URL, or without LLM_MODEL, is refused with a line saying what it needs', () => {
    const noBase = configError({ LLM_PROVIDER: 'openai', LLM_MODEL: 'gpt-4o-mini', LLM_API_KEY: 'sk-abcdefghijklmnop' });
    assert.match(noBase.message, /LLM_PROVIDER/);
    assert.match(noBase.message, /LLM_BASE_URL/);
    assert.ok(!noBase.message.includes('sk-abcdefghijklmnop'));
    const noModel = configError({ LLM_PROVIDER: 'openai', LLM_BASE_URL: 'https://api.openai.com/v1' });
    assert.match(noModel.message, /LLM_MODEL/);
  });
});

// ---- bad values --------------------------------------------------------------------------------

/**
 * One bad value per validated variable, with what the error must say it accepts.
 * Settings without any validation (free text) are listed in UNVALIDATED instead.
 */
const BAD: Record<string, { env: Env; accepts: RegExp }> = {
  REDIS_HOST: { env: { REDIS_HOST: 'bad host/name' }, accepts: /host name or IP/ },
  REDIS_PORT: { env: { REDIS_PORT: '70000' }, accepts: /1 to 65535/ },
  REDIS_URL: { env: { REDIS_URL: 'http://x' }, accepts: /redis:\/\/.*rediss:\/\// },
  REDIS_CLUSTER_NODES: { env: { REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2' }, accepts: /host:port seed nodes/ },
  QUEUE_PARTITIONS: { env: { QUEUE_PARTITIONS: '0' }, accepts: /integer from 1 to 1024/ },
  DATABASE_URL: { env: { DATABASE_URL: 'mysql://app:Hunter2Hunter2@db/diary' }, accepts: /postgres:\/\/.*postgresql:\/\// },
  DIARY_CHANNEL: { env: { DIARY_CHANNEL: 'diary events' }, accepts: /letters, digits/ },
  QUEUE_TRANSPORT: { env: { QUEUE_TRANSPORT: 'kafka' }, accepts: /pubsub.*streams/ },
  SCHEDULER_INTERVAL: { env: { SCHEDULER_INTERVAL: '5x' }, accepts: /duration.*500ms.*30s.*5m.*1h/ },
  SCHEDULER_DAILY_INTERVAL: { env: { SCHEDULER_DAILY_INTERVAL: 'hourly' }, accepts: /duration/ },
  SCHEDULER_MONTHLY_INTERVAL: { env: { SCHEDULER_MONTHLY_INTERVAL: '-1h' }, accepts: /duration/ },
  SUBSCRIBER_MAX_CONCURRENT_JOBS: { env: { SUBSCRIBER_MAX_CONCURRENT_JOBS: '0' }, accepts: /integer from 1/ },
  SUBSCRIBER_BACKLOG: { env: { SUBSCRIBER_BACKLOG: 'lots' }, accepts: /integer/ },
  JOB_TIMEOUT: { env: { JOB_TIMEOUT: '10' }, accepts: /duration/ },
  JOB_LEASE: { env: { JOB_LEASE: '30 s' }, accepts: /duration/ },
  MAX_DELIVERIES: { env: { MAX_DELIVERIES: '1.5' }, accepts: /integer/ },
  SUMMARY_MIN_CHARS: { env: { SUMMARY_MIN_CHARS: '-1' }, accepts: /integer from 0/ },
  DEFAULT_TIMEZONE: { env: { DEFAULT_TIMEZONE: 'Mars/Base' }, accepts: /IANA time zone/ },
  LLM_PROVIDER: { env: { LLM_PROVIDER: 'gpt' }, accepts: /extractive.*openai/ },
  LLM_BASE_URL: { env: { LLM_BASE_URL: 'ftp://llm.example.com' }, accepts: /http:\/\/.*https:\/\// },
  LLM_MODEL: { env: { LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://127.0.0.1:11434/v1' }, accepts: /LLM_MODEL/ },
  LLM_TIMEOUT: { env: { LLM_TIMEOUT: '1 minute' }, accepts: /duration/ },
  LLM_MAX_RPM: { env: { LLM_MAX_RPM: '0' }, accepts: /integer from 1/ },
  LLM_MAX_TPM: { env: { LLM_MAX_TPM: '0' }, accepts: /integer from 1/ },
  LLM_MAX_RETRIES: { env: { LLM_MAX_RETRIES: '-1' }, accepts: /integer from 0 to 20/ },
  SECRET_KEY: { env: { SECRET_KEY: 'tooShortSecret' }, accepts: /at least 32 characters/ },
  JWT_SECRET: { env: { JWT_SECRET: 'tooShortJwt' }, accepts: /at least 32 characters/ },
  PORT: { env: { PORT: '80a' }, accepts: /integer from 0 to 65535/ },
  METRICS_PORT: { env: { METRICS_PORT: '65536' }, accepts: /integer from 0 to 65535/ },
  LOG_LEVEL: { env: { LOG_LEVEL: 'verbose' }, accepts: /fatal.*error.*warn.*info.*debug.*trace/ },
  AUTO_MIGRATE: { env: { AUTO_MIGRATE: 'maybe' }, accepts: /true or false/ },
  LLM_ALLOWED_HOSTS: { env: { LLM_ALLOWED_HOSTS: 'localhost:11434, http://ollama/v1' }, accepts: /host or host:port/ },
  LLM_ALLOWED_MODELS: { env: { LLM_ALLOWED_MODELS: 'gpt-4o,bad\u0007model' }, accepts: /model names/ },
  USER_MAX_JOBS_PER_HOUR: { env: { USER_MAX_JOBS_PER_HOUR: '0' }, accepts: /integer from 1/ },
  SCHEDULER_MAX_PER_USER: { env: { SCHEDULER_MAX_PER_USER: '0' }, accepts: /integer from 1/ },
  USER_MAX_CONCURRENT_JOBS: { env: { USER_MAX_CONCURRENT_JOBS: '0' }, accepts: /integer from 1/ },
  HOST: { env: { HOST: 'every where' }, accepts: /address to listen on/ },
  JOB_HISTORY_RETENTION: { env: { JOB_HISTORY_RETENTION: '2w' }, accepts: /14d/ },
  LLM_BATCH: { env: { LLM_BATCH: 'yes' }, accepts: /off.*on/ },
  LLM_BATCH_MAX_WAIT: { env: { LLM_BATCH_MAX_WAIT: '500ms' }, accepts: /duration.*from 1000ms/ },
  LLM_PRICES: { env: { LLM_PRICES: 'gpt-4o=2.5' }, accepts: /model=input\/output/ },
};
/** Free-text settings: any value is valid; each must still land in the config. */
const UNVALIDATED: Record<string, (c: Readonly<Config>) => unknown> = {
  DATA_DIR: (c) => c.dataDir,
  LLM_API_KEY: (c) => c.llm.apiKey,
  REGISTER_KEY: (c) => c.registerKey,
};

describe('egress, budget and listening settings', () => {
  it('are read as lists, numbers and addresses; METRICS_PORT moves the server ops only when set', () => {
    const c = loadConfig({
      LLM_ALLOWED_HOSTS: ' localhost:11434 , ollama ',
      LLM_ALLOWED_MODELS: 'gpt-4o-mini,gpt-4o',
      USER_MAX_JOBS_PER_HOUR: '30',
      USER_MAX_CONCURRENT_JOBS: '3',
      LLM_MAX_TPM: '90000',
      HOST: '[::1]',
      METRICS_PORT: '9464',
    });
    assert.deepEqual([...c.llm.allowedHosts], ['localhost:11434', 'ollama']);
    assert.deepEqual([...c.llm.allowedModels], ['gpt-4o-mini', 'gpt-4o']);
    assert.equal(c.userMaxJobsPerHour, 30);
    assert.equal(c.userMaxConcurrentJobs, 3);
    assert.equal(c.llm.maxTpm, 90_000);
    assert.equal(c.host, '::1');
    assert.equal(c.serverMetricsPort, 9464);
    const d = loadConfig({});
    assert.equal(d.userMaxJobsPerHour, 120);
    assert.equal(d.userMaxConcurrentJobs, 2);
    assert.equal(d.llm.maxTpm, undefined);
    assert.equal(d.host, undefined);
    assert.equal(d.serverMetricsPort, undefined);
    assert.equal(d.metricsPort, 9464);
    assert.equal(d.jobHistoryRetentionMs, 14 * 86_400_000);
    assert.equal(loadConfig({ JOB_HISTORY_RETENTION: '90d' }).jobHistoryRetentionMs, 90 * 86_400_000, 'longer than a timer can hold');
    assert.equal(loadConfig({ JOB_HISTORY_RETENTION: '36h' }).jobHistoryRetentionMs, 36 * 3_600_000);
  });
});

describe('bad values', () => {
  it('every SETTINGS row is either validated (BAD) or free text (UNVALIDATED) here', () => {
    for (const { name } of SETTINGS) assert.ok(name in BAD || name in UNVALIDATED, `${name} needs a case in this test`);
    for (const name of [...Object.keys(BAD), ...Object.keys(UNVALIDATED)]) assert.ok(SETTINGS.some((s) => s.name === name), `${name} is in SETTINGS`);
  });

  for (const [name, { env, accepts }] of Object.entries(BAD)) {
    it(`${name}: a bad value throws a ConfigError naming it and what it accepts`, () => {
      const err = configError(env);
      assert.match(err.message, new RegExp(`\\b${name}\\b`), err.message);
      assert.match(err.message, accepts, err.message);
    });
  }

  for (const [name, read] of Object.entries(UNVALIDATED)) {
    it(`${name}: free text, read into the config`, () => {
      assert.equal(read(loadConfig({ [name]: 'some/value-123' })), 'some/value-123');
    });
  }

  it('more bad values, one variable at a time', () => {
    const more: Array<[string, string]> = [
      ['SCHEDULER_INTERVAL', '5'],
      ['SCHEDULER_INTERVAL', '1d'],
      ['SCHEDULER_INTERVAL', '5M'],
      ['REDIS_PORT', '0'],
      ['REDIS_PORT', '-1'],
      ['REDIS_PORT', '6379.0'],
      ['REDIS_PORT', '0x18eb'],
      ['REDIS_PORT', '99999999999999999999'],
      ['REDIS_HOST', 'user@host'],
      ['REDIS_URL', 'redis//missing-colon'],
      ['REDIS_URL', '127.0.0.1:6379'],
      ['REDIS_URL', 'redis://host:99999'],
      ['DATABASE_URL', 'not a url'],
      ['DATABASE_URL', 'http://db/diary'],
      ['QUEUE_TRANSPORT', 'PUBSUB'],
      ['QUEUE_TRANSPORT', 'stream'],
      ['DEFAULT_TIMEZONE', '+09:00'],
      ['DEFAULT_TIMEZONE', 'Tokyo'],
      ['LLM_PROVIDER', 'OpenAI'],
      ['MAX_DELIVERIES', '0'],
      ['MAX_DELIVERIES', '1001'],
      ['SUBSCRIBER_MAX_CONCURRENT_JOBS', '10001'],
      ['LOG_LEVEL', 'INFO '.repeat(2)],
    ];
    for (const [name, value] of more) {
      const err = configError({ [name]: value });
      assert.match(err.message, new RegExp(`\\b${name}\\b`), `${name}=${value}: ${err.message}`);
      assert.match(err.message, /expected|needs/, err.message);
    }
  });

  it('a value with a newline still gives a one-line error', () => {
    const err = configError({ SCHEDULER_INTERVAL: '5m\nINJECTED=1' });
    assert.match(err.message, /SCHEDULER_INTERVAL/);
  });

  it('the message reads "Invalid <NAME>=<value>: expected …", and ConfigError is an Error', () => {
    const err = configError({ QUEUE_TRANSPORT: 'kafka' });
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'Invalid QUEUE_TRANSPORT="kafka": expected one of pubsub, streams');
  });
});

// ---- secrets never appear in errors -----------------------------------------------------------

describe('no secret in any error message', () => {
  const SECRET = 'Zq9-VERY-SECRET-xK2';
  const cases: Env[] = [
    { REDIS_URL: `http://user:${SECRET}@redis.example.com:6379` },
    { REDIS_URL: `redis://:${SECRET}@redis.example.com:99999` },
    { REDIS_URL: `redis://user:${SECRET}@` },
    { REDIS_URL: `redis://user:${SECRET}@ho st` },
    { REDIS_URL: `redis://user:pa@${SECRET}@host:99999` },
    { REDIS_URL: `redis://${SECRET}@host:99999` },
    { REDIS_URL: `user:${SECRET}@host:6379` },
    { REDIS_URL: `ftp://host/?password=${SECRET}` },
    { REDIS_URL: `http://host#${SECRET}` },
    { DATABASE_URL: `mysql://app:${SECRET}@db.example.com/diary` },
    { DATABASE_URL: `postgres://app:${SECRET}@db.example.com:99999/diary` },
    { DATABASE_URL: `mysql://db.example.com/diary?password=${SECRET}` },
    { DATABASE_URL: `postgres://app:${SECRET}@db:port/diary` },
    { DATABASE_URL: `postgres://app:${SECRET}/diary@db:1x/` },
    { REDIS_URL: `redis://app:pa?${SECRET}@db:1x/` },
    { LLM_BASE_URL: `ftp://u:${SECRET}@llm.example.com/v1` },
    { LLM_BASE_URL: `https://llm.example.com:0x/v1?key=${SECRET}` },
    { SECRET_KEY: SECRET },
    { JWT_SECRET: SECRET },
    { LLM_PROVIDER: 'openai', LLM_API_KEY: SECRET },
    { QUEUE_TRANSPORT: 'kafka', SECRET_KEY: `${SECRET}${SECRET}${SECRET}`, LLM_API_KEY: SECRET, REDIS_URL: `redis://:${SECRET}@h` },
  ];
  for (const env of cases) {
    it(JSON.stringify(env).replaceAll(SECRET, '<secret>'), () => {
      const err = configError(env);
      assert.ok(!err.message.includes(SECRET), err.message);
      assert.ok(!err.message.includes(encodeURIComponent(SECRET)), err.message);
      assert.ok(!err.message.includes(SECRET.slice(0, 8)), `no part of the secret: ${err.message}`);
    });
  }

  it('property: whatever the password, a refused Redis or database URL never shows it', () => {
    const password = fc.string({ minLength: 6, maxLength: 24, unit: fc.constantFrom(...'abcdefghijkLMNOPQRSTUVWXYZ0123456789@:/%!$&*+=-_.~') }).map((p) => `Pw${p}`);
    const shape = fc.constantFrom(
      (p: string) => ({ REDIS_URL: `http://user:${p}@redis.example.com:6379/0` }),
      (p: string) => ({ REDIS_URL: `redis://user:${p}@redis.example.com:70000` }),
      (p: string) => ({ REDIS_URL: `redis://:${encodeURIComponent(p)}@redis.example.com:70000` }),
      (p: string) => ({ DATABASE_URL: `mysql://app:${p}@db.example.com/diary` }),
      (p: string) => ({ DATABASE_URL: `mysql://app:${encodeURIComponent(p)}@db.example.com/diary` }),
    );
    fc.assert(
      fc.property(password, shape, (p, make) => {
        const env = make(p);
        let message: string;
        try {
          loadConfig(env);
          return; // some passwords make a URL that is valid after all; nothing to show then
        } catch (err) {
          assert.ok(err instanceof ConfigError, String(err));
          message = err.message;
        }
        for (const form of [p, encodeURIComponent(p), p.replaceAll('@', '%40')]) assert.ok(!message.includes(form), `${message} shows ${form}`);
      }),
      { numRuns: 500 },
    );
  });
});

// ---- frozen --------------------------------------------------------------------------------------

describe('the returned config', () => {
  it('is deeply frozen', () => {
    const c = loadConfig({ REDIS_URL: 'redis://localhost:6379' });
    assert.ok(Object.isFrozen(c));
    for (const part of [c.redis, c.scheduler, c.subscriber, c.llm]) assert.ok(Object.isFrozen(part));
    assert.throws(() => {
      (c as Config).port = 1;
    }, TypeError);
    assert.throws(() => {
      (c.redis as Config['redis']).url = 'redis://evil';
    }, TypeError);
    assert.throws(() => {
      (c as unknown as Record<string, unknown>).extra = 1;
    }, TypeError);
    assert.equal(c.port, 8080);
    assert.equal(c.redis.url, 'redis://localhost:6379');
  });

  it('is a fresh object per call', () => {
    const a = loadConfig({ PORT: '1' });
    const b = loadConfig({ PORT: '2' });
    assert.equal(a.port, 1);
    assert.equal(b.port, 2);
  });
});

// ---- SETTINGS and DESIGN.md -----------------------------------------------------------------

describe('SETTINGS and DESIGN.md', () => {
  it('SETTINGS names are unique, upper case, and each has a default and a meaning', () => {
    const names = SETTINGS.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    for (const s of SETTINGS) {
      assert.match(s.name, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(s.default.length > 0 && s.meaning.length > 0, s.name);
    }
  });

  it('every variable of the settings table of DESIGN.md appears in SETTINGS, with the same default', (t) => {
    const path = fileURLToPath(new URL('../../shared/DESIGN.md', import.meta.url));
    if (!existsSync(path)) {
      t.skip(`DESIGN.md not found at ${path} (../shared/DESIGN.md from the repo root): cannot compare SETTINGS with it`);
      return;
    }
    const text = readFileSync(path, 'utf8');
    const start = text.indexOf('## Settings');
    assert.ok(start >= 0, 'DESIGN.md has a "## Settings" section');
    const end = text.indexOf('\n## ', start + 1);
    const section = text.slice(start, end < 0 ? undefined : end);
    const rows = section.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l) && !/^\|\s*name\s*\|/.test(l));
    assert.ok(rows.length >= 15, `parsed ${rows.length} rows`);
    const designed = new Set<string>();
    for (const row of rows) {
      const [nameCell = '', defaultCell = '', meaningCell = ''] = row.split('|').slice(1).map((c) => c.trim());
      const names = [...nameCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!);
      const defaults = [...defaultCell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
      for (const name of names) designed.add(name);
      // Variables named in the meaning column (the per-job interval overrides) are settings too.
      for (const m of meaningCell.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`/g)) designed.add(m[1]!);
      names.forEach((name, i) => {
        const row = SETTINGS.find((s) => s.name === name);
        assert.ok(row, `DESIGN.md's ${name} is missing from SETTINGS`);
        const expected = defaults.length === names.length ? defaults[i]! : defaultCell === '—' ? '—' : undefined;
        if (expected !== undefined) assert.equal(row.default, expected, `default of ${name}`);
      });
    }
    for (const name of designed) assert.ok(SETTINGS.some((s) => s.name === name), `DESIGN.md's ${name} is missing from SETTINGS`);
    for (const name of ['REDIS_HOST', 'REDIS_PORT', 'SCHEDULER_DAILY_INTERVAL', 'SCHEDULER_MONTHLY_INTERVAL', 'LLM_MODEL', 'LOG_LEVEL']) {
      assert.ok(designed.has(name), `the parser found ${name}`);
    }
  });
});

describe('LLM_BATCH', () => {
  it('is off by default; on needs the operator’s endpoint; LLM_BATCH_MAX_WAIT parses like other durations', () => {
    assert.equal(loadConfig({}).llm.batch, false);
    assert.throws(() => loadConfig({ LLM_BATCH: 'on' }), /LLM_BATCH="on".*LLM_BASE_URL/);
    const c = loadConfig({ LLM_BATCH: 'on', LLM_BASE_URL: 'https://api.openai.com/v1', LLM_BATCH_MAX_WAIT: '90s' });
    assert.equal(c.llm.batch, true);
    assert.equal(c.llm.batchMaxWaitMs, 90_000);
  });
});
