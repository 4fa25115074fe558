// The demo `all` as a sandbox: it listens on 127.0.0.1, its admin password is made up per DATA_DIR
// (kept 0600, shown only on a terminal, never in logs), no admin token is printed, and DATA_DIR
// with everything in it (PGlite's WAL included) is private to its owner.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passwordLine } from '../../src/cmd/all.js';
import { freePort } from '../../src/cmd/embedded-redis.js';
import { findAccount, setPasswordHash } from '../../src/db/accounts.js';
import { DEMO_EMAIL, DEMO_USER_ID, seedDemo } from '../../src/demo/seed.js';
import { hashPassword, verifyPassword } from '../../src/server/passwords.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';
import { openTestDb } from '../helpers/db.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });
}

function reaches(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('diary-events all', () => {
  let redis: RedisServer;
  let dataDir: string;
  let port: number;
  let app: CliProcess | undefined;
  /** Every process started, so that a failing test leaves none running. */
  const started: CliProcess[] = [];

  const start = async (): Promise<CliProcess> => {
    const p = spawnCli(['all'], { DATA_DIR: dataDir, PORT: String(port), REDIS_URL: redis.url, LLM_PROVIDER: 'extractive', LOG_LEVEL: 'info' });
    started.push(p);
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) {
      if (p.proc.exitCode !== null || Date.now() > deadline) throw new Error(`all did not start: ${p.stderr().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return p;
  };
  const signIn = (password: string) =>
    fetch(`http://127.0.0.1:${port}/diary.v1.AuthService/SignIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: DEMO_EMAIL, password }),
    });

  before(async () => {
    redis = await startRedisServer();
    dataDir = join(mkdtempSync(join(tmpdir(), 'diary-demo-')), 'data');
    port = await freePort();
  });
  after(async () => {
    for (const p of started) await p.stop('SIGKILL');
    await redis.destroy();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  test('127.0.0.1 only; the password in DATA_DIR/demo-password (0600) and in no output; no token printed; DATA_DIR private', async () => {
    app = await start();
    assert.equal(await reaches('127.0.0.2', port), false, 'listening beyond 127.0.0.1');
    const password = readFileSync(join(dataDir, 'demo-password'), 'utf8').trim();
    assert.ok(password.length >= 12 && password !== 'demo-password');
    assert.equal(statSync(join(dataDir, 'demo-password')).mode & 0o777, 0o600);
    const out = app.stdout() + app.stderr();
    assert.ok(!out.includes(password), 'the password was printed to a pipe');
    assert.match(out, /password in .*demo-password/);
    assert.doesNotMatch(out, /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/, 'a bearer token was printed');
    assert.match(out, /diary-events token --user/);

    assert.equal((await signIn(password)).status, 200);
    assert.equal((await signIn('demo-password')).status, 401);

    // Let PGlite write its WAL, then look at every file the process made.
    await app.stop('SIGTERM');
    app = undefined;
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const paths = walk(dataDir);
    assert.ok(paths.some((p) => p.includes('pg_wal')), 'PGlite WAL files are there to check');
    for (const p of paths) assert.equal(statSync(p).mode & 0o077, 0, `${p} is open to others (${(statSync(p).mode & 0o777).toString(8)})`);
  });

  test('a second run keeps the password and does not show it again', async () => {
    const password = readFileSync(join(dataDir, 'demo-password'), 'utf8').trim();
    app = await start();
    assert.ok(!(app.stdout() + app.stderr()).includes(password));
    assert.equal((await signIn(password)).status, 200);
    await app.stop('SIGTERM');
    app = undefined;
  });
});

describe('the demo password', () => {
  test('is shown once, on a terminal only', () => {
    assert.match(passwordLine({ password: 'pw-123456789', created: true }, '/d/demo-password', true), /password pw-123456789/);
    assert.doesNotMatch(passwordLine({ password: 'pw-123456789', created: true }, '/d/demo-password', false), /pw-123/);
    assert.doesNotMatch(passwordLine({ password: 'pw-123456789', created: false }, '/d/demo-password', true), /pw-123/);
  });

  test("an old DATA_DIR whose demo account still has the fixed 'demo-password' gets the new one", async () => {
    const t = await openTestDb('pglite');
    try {
      await seedDemo(t.db, 'UTC', 1000, 'first-password-123');
      await setPasswordHash(t.db, DEMO_USER_ID, await hashPassword('demo-password'));
      await seedDemo(t.db, 'UTC', 1000, 'second-password-123');
      const hash = (await findAccount(t.db, DEMO_USER_ID))?.password_hash ?? '';
      assert.equal(await verifyPassword('second-password-123', hash), true);
      assert.equal(await verifyPassword('demo-password', hash), false);
      // A password the user chose since is kept.
      await setPasswordHash(t.db, DEMO_USER_ID, await hashPassword('my own choice'));
      await seedDemo(t.db, 'UTC', 1000, 'third-password-123');
      assert.equal(await verifyPassword('my own choice', (await findAccount(t.db, DEMO_USER_ID))?.password_hash ?? ''), true);
    } finally {
      await t.drop();
    }
  });
});
