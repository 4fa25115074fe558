// DATA_DIR holds plaintext diaries (PGlite's files and WAL), the demo's secrets and Redis's AOF:
// it is made private to its owner — the directory 0700, and everything this process (and the
// redis-server it starts) creates in it 0600, through the process umask.
import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** Creates `dir` (0700) or tightens an existing one to 0700, and sets the umask to 077. */
export function privateDataDir(dir: string): void {
  // PGlite (Emscripten's file system) and redis-server create files as 0666/0644 minus the umask.
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
