// The CLI from outside: a bad setting stops it at start with exit code 2 and one line on stderr
// naming the variable; --help lists the commands; an unknown command exits 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SETTINGS } from '../src/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// The built CLI is what users run (`npm test` builds it first); without a build, run the source.
const [how, cliArgs] = existsSync(built)
  ? (['dist/cli.js', [built]] as const)
  : (['src/cli.ts via tsx', ['--import', 'tsx', fileURLToPath(new URL('../src/cli.ts', import.meta.url))]] as const);

/** The environment of the test run without any of our settings, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const { name } of SETTINGS) delete env[name];
  return { ...env, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...cliArgs, ...args], { cwd: root, env: cleanEnv(extra), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined, `spawn failed: ${String(r.error)}`);
  assert.equal(r.signal, null, `killed by ${r.signal} (a bad setting must stop the CLI at once); stderr: ${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMMANDS = ['migrate', 'scheduler', 'subscriber', 'server', 'all', 'publish', 'enqueue', 'status', 'dlq', 'migrate-queue'];

describe(`CLI (${how}): a bad setting`, () => {
  it('migrate with SCHEDULER_INTERVAL=5x: exit 2, exactly one line on stderr naming it, nothing on stdout', () => {
    const r = cli(['migrate'], { SCHEDULER_INTERVAL: '5x' });
    assert.equal(r.code, 2, `stderr: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^[^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr, /SCHEDULER_INTERVAL/);
    assert.match(r.stderr, /5x/);
    assert.match(r.stderr, /500ms|30s|5m|1h/, 'says what it accepts');
  });

  for (const [args, name, value] of [
    [['scheduler', '--once'], 'REDIS_PORT', '70000'],
    [['subscriber'], 'QUEUE_TRANSPORT', 'kafka'],
    [['server'], 'DEFAULT_TIMEZONE', 'Mars/Base'],
    [['all'], 'JOB_LEASE', 'forever'],
    [['status'], 'LOG_LEVEL', 'loud'],
    [['migrate'], 'DATABASE_URL', 'mysql://app:pw@db/diary'],
  ] as const) {
    it(`${args.join(' ')} with ${name}=${value}: exit 2, one line naming ${name}`, () => {
      const r = cli([...args], { [name]: value });
      assert.equal(r.code, 2, `stderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^[^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, new RegExp(`\\b${name}\\b`));
    });
  }

  it('a refused REDIS_URL does not print its password', () => {
    const r = cli(['migrate'], { REDIS_URL: 'http://admin:Sup3rSecretPassw0rd@redis.example.com:6379' });
    assert.equal(r.code, 2, `stderr: ${r.stderr}`);
    assert.match(r.stderr, /REDIS_URL/);
    assert.ok(!r.stderr.includes('Sup3rSecretPassw0rd'), r.stderr);
    assert.equal(r.stdout, '');
  });
});

describe(`CLI (${how}): help and unknown commands`, () => {
  it('--help lists every command and exits 0', () => {
    const r = cli(['--help']);
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    assert.equal(r.stderr, '');
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `--help lists ${c}:\n${r.stdout}`);
  });

  it('--help does not need a valid configuration', () => {
    const r = cli(['--help'], { SCHEDULER_INTERVAL: '5x' });
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    assert.match(r.stdout, /migrate/);
  });

  it('an unknown command exits 2 and names it on stderr', () => {
    const r = cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frobnicate/);
    assert.equal(r.stdout, '');
  });
});
