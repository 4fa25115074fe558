// Our modules as `npm start` runs them: compiled by tsc into dist/. The bench itself runs through
// tsx, whose esbuild transform keeps function names by wrapping every function made at run time in
// a call that defines its `name` (keepNames). Per job that is a few closures, about 5–10 % of a
// no-op job's CPU, which neither the compiled code nor the comparators in node_modules pay.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../../dist/', import.meta.url);
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Fails unless dist/ is built and no file of src/ is newer than it: a stale build measures old code. */
export function assertBuilt(): void {
  const cli = fileURLToPath(new URL('cli.js', DIST));
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  if (newestMtime(SRC) > statSync(cli).mtimeMs) throw new Error('src/ is newer than dist/: run `npm run build` first');
}

/** The compiled module of `src/<path>` (path ending in .js), typed as its source. */
export async function compiled<T>(path: string): Promise<T> {
  return (await import(new URL(path, DIST).href)) as T;
}
