// PGlite is one process's database: a pid file beside its directory keeps a second process (say
// `diary-events status` while `all` runs) from opening — and corrupting — it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dataDir` for this process; returns its release. */
export function lockPglite(dataDir: string): () => void {
  const file = `${dataDir.replace(/\/+$/, '')}.pid`;
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(file, 'utf8').trim());
  } catch {
    holder = undefined;
  }
  if (holder && holder !== process.pid && alive(holder)) {
    throw new DatabaseInUseError(
      `the embedded database in ${dataDir} is open in another process (pid ${holder}, e.g. \`diary-events all\`); ` +
        'PGlite serves one process only: use that process (its web app and API), or set DATABASE_URL to share PostgreSQL',
    );
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
