// Traces off (OTEL_EXPORTER_OTLP_ENDPOINT unset): the CLI loads nothing of the OpenTelemetry SDK —
// a module hook that refuses every SDK package lets it run, and the same hook stops it once the
// endpoint is set — and spans cost the API's no-op: messages are published unchanged.
// (No SDK is registered in this process, unlike test/spans.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { dailyMessage, type JobMessage } from '../src/messages.js';
import { inSpan, NOOP_SPAN, publishTraced, startJobSpan, tracingOn } from '../src/spans.js';
import { startTracing, tracesWanted } from '../src/tracing.js';
import { ConfigError } from '../src/env-reader.js';
import { createLogger } from '../src/logger.js';
import { CLI } from './helpers/cli.js';

const U = '123e4567-e89b-12d3-a456-426614174000';
const dir = mkdtempSync(join(tmpdir(), 'tracing-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Refuses to resolve any package of the SDK side: the API (@opentelemetry/api) alone may load.
const HOOKS = join(dir, 'refuse-sdk-hooks.mjs');
writeFileSync(
  HOOKS,
  `export async function resolve(specifier, context, next) {
  if (/^@opentelemetry\\/(?!api$)/.test(specifier)) throw new Error('SDK module loaded: ' + specifier);
  return next(specifier, context);
}
`,
);
const REGISTER = join(dir, 'register.mjs');
writeFileSync(REGISTER, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(HOOKS).href)});\n`);

function cliWithHook(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', REGISTER, CLI, 'token', '--user', U], {
    env: { PATH: process.env.PATH ?? '', JWT_SECRET: 'tracing-test-jwt-secret-0123456789abcdef', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('with OTEL_EXPORTER_OTLP_ENDPOINT unset', () => {
  it('the CLI runs without loading any SDK module; set, the same hook catches the SDK being loaded', () => {
    const off = cliWithHook({});
    assert.equal(off.code, 0, off.out);
    assert.match(off.out, /^ey/, 'a token was printed');
    const on = cliWithHook({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    assert.notEqual(on.code, 0);
    assert.match(on.out, /SDK module loaded: @opentelemetry\/(sdk|exporter|resources)/);
  });

  it('startTracing is off and its shutdown resolves', async () => {
    const t = await startTracing({ serviceName: 'x', version: '0', instance: 'i', logger: createLogger({ level: 'silent' }), env: {} });
    assert.equal(t.enabled, false);
    await t.shutdown();
  });

  it('refuses an endpoint the exporter could not use, naming the variable, before loading the SDK', async () => {
    const logger = createLogger({ level: 'silent' });
    for (const [name, value] of [
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
    ] as const) {
      await assert.rejects(
        startTracing({ serviceName: 'x', version: '0', instance: 'i', logger, env: { [name]: value } }),
        (err: Error) => err instanceof ConfigError && err.message.includes(name) && err.message.includes(value),
      );
    }
  });

  it('publishes the very message it was given, without a traceparent', async () => {
    assert.equal(tracingOn(), false);
    const sent: JobMessage[] = [];
    const m = dailyMessage(U, '2024-01-15');
    await inSpan('diary save', async (span) => {
      assert.equal(span, NOOP_SPAN, 'no span object is made');
      await publishTraced(async (x) => void sent.push(x), m);
    });
    assert.equal(sent[0], m);
    assert.equal('traceparent' in m, false);
    const job = startJobSpan({ ...m, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, 1);
    assert.equal(job.span.isRecording(), false);
    job.span.end();
  });
});

describe('tracesWanted', () => {
  it('wants traces when an OTLP endpoint is set and the SDK is not disabled', () => {
    assert.equal(tracesWanted({}), false);
    assert.equal(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), false);
    assert.equal(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(tracesWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
    assert.equal(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
    assert.equal(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'false' }), true);
  });
});
