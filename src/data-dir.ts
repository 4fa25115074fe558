// DATA_DIR holds plaintext diaries (PGlite's files and WAL), the demo's secrets and Redis's AOF:
// it is made private to its owner — directories 0700 and files 0600. New files get that from the
// process umask (PGlite and redis-server create theirs as 0666/0644 minus the umask); the files
// PGlite unpacks when it creates a database carry modes of their own and are tightened after.
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Creates `dir` (0700) or tightens an existing one to 0700, and sets the umask to 077. */
export function privateDataDir(dir: string): void {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Every directory under `dir` 0700 and every file 0600 (symbolic links are left alone). */
export function privateTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      chmodSync(path, 0o700);
      privateTree(path);
    } else if (entry.isFile() && (statSync(path).mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
    }
  }
}
