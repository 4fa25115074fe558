// The key that signs and verifies bearer tokens. `server` needs JWT_SECRET; `all` (the demo)
// makes one up once and keeps it in DATA_DIR/jwt-secret (mode 600), so tokens survive restarts.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { UsageError } from '../errors/usage-error.js';

export function jwtSecretPath(dataDir: string): string {
  return join(dataDir, 'jwt-secret');
}

export function jwtSecretFor(config: Pick<Config, 'jwtSecret' | 'dataDir'>, allowGenerated: boolean): string {
  if (config.jwtSecret) return config.jwtSecret;
  if (!allowGenerated) {
    throw new UsageError('JWT_SECRET is not set: the server needs it to sign and verify bearer tokens (32+ characters, e.g. `openssl rand -hex 32`)');
  }
  const path = jwtSecretPath(config.dataDir);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  // 'wx' fails if another process created it meanwhile: then read theirs.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw err;
  }
  chmodSync(path, 0o600);
  return secret;
}

/** For `token`: JWT_SECRET, else the secret `all` keeps in DATA_DIR; never creates one. */
export function existingJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir'>): string {
  if (config.jwtSecret) return config.jwtSecret;
  try {
    const secret = readFileSync(jwtSecretPath(config.dataDir), 'utf8').trim();
    if (secret.length >= 32) return secret;
  } catch {
    // fall through to the explanation
  }
  throw new UsageError(`JWT_SECRET is not set and ${jwtSecretPath(config.dataDir)} does not exist: set JWT_SECRET (as the server has it), or run \`diary-events all\` once with this DATA_DIR`);
}
