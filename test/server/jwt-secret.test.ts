// JWT_SECRET: `server` refuses to start without it; `all` creates DATA_DIR/jwt-secret (mode 600)
// once and reuses it, so tokens survive restarts; `token` reads it but never creates one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors/usage-error.js';
import { existingJwtSecret, jwtSecretFor, jwtSecretPath } from '../../src/server/jwt-secret.js';
import { mintToken, verifyToken } from '../../src/server/tokens.js';

test('server mode without JWT_SECRET: a clear UsageError', () => {
  assert.throws(() => jwtSecretFor({ jwtSecret: undefined, dataDir: '/nonexistent' }, false), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /JWT_SECRET is not set/);
    return true;
  });
  assert.equal(jwtSecretFor({ jwtSecret: 'x'.repeat(32), dataDir: '/nonexistent' }, false), 'x'.repeat(32));
});

test('all mode: generated once, mode 600, reused; tokens minted before a restart still verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'diary-jwt-'));
  try {
    assert.throws(() => existingJwtSecret({ jwtSecret: undefined, dataDir: dir }), UsageError);
    const first = jwtSecretFor({ jwtSecret: undefined, dataDir: dir }, true);
    assert.ok(first.length >= 32);
    assert.equal(statSync(jwtSecretPath(dir)).mode & 0o777, 0o600);
    const token = await mintToken(first, { userId: '00000000-0000-4000-8000-00000000d1a7', admin: true });
    const second = jwtSecretFor({ jwtSecret: undefined, dataDir: dir }, true);
    assert.equal(second, first);
    assert.equal(existingJwtSecret({ jwtSecret: undefined, dataDir: dir }), first);
    assert.deepEqual(await verifyToken(second, token), { userId: '00000000-0000-4000-8000-00000000d1a7', admin: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
