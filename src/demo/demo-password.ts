// The demo account's password: made up once per DATA_DIR and kept in DATA_DIR/demo-password
// (0600), so that no two demos share one and `all` can print it the first time.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function demoPasswordPath(dataDir: string): string {
  return join(dataDir, 'demo-password');
}

/** The password of this DATA_DIR; `created` when this call made it up. */
export function demoPassword(dataDir: string): { password: string; created: boolean } {
  const path = demoPasswordPath(dataDir);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length >= 12) return { password: existing, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const password = randomBytes(12).toString('base64url');
  try {
    // 'wx': another process that got here first wins, and its password is the one.
    writeFileSync(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { password: readFileSync(path, 'utf8').trim(), created: false };
    throw err;
  }
  return { password, created: true };
}
