// Our modules as `npm start` runs them: compiled by tsc into dist/. The bench itself runs through
// tsx, whose esbuild transform keeps function names by wrapping every function made at run time in
// a call that defines its `name` (keepNames): 3.5 % of a streams drain's profile samples, a cost
// neither the compiled code nor the comparators in node_modules pay.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Fails unless `root`'s dist/ is built and no file of its src/ is newer than the build: a missing
 * build cannot be measured, and a stale one measures old code.
 */
export function assertBuilt(root: URL = ROOT): void {
  const cli = fileURLToPath(new URL('dist/cli.js', root));
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  if (newestMtime(fileURLToPath(new URL('src/', root))) > statSync(cli).mtimeMs) throw new Error('src/ is newer than dist/: run `npm run build` first');
}

/** The subscriber's modules the in-process benches drive, compiled; one instance of each. */
export interface OurCode {
  logging: typeof import('../../src/logger.js');
  metrics: typeof import('../../src/metrics.js');
  jobRunner: typeof import('../../src/subscriber/job-runner.js');
  claimStore: typeof import('../../src/transport/claim-store.js');
  scripts: typeof import('../../src/transport/scripts.js');
  keys: typeof import('../../src/transport/keys.js');
  connection: typeof import('../../src/transport/redis-connection.js');
  pubsub: typeof import('../../src/transport/pubsub/pubsub-transport.js');
  streams: typeof import('../../src/transport/streams/streams-transport.js');
}

/** Where each of OurCode's modules is, under src/ and dist/ alike. */
const PATHS: Record<keyof OurCode, string> = {
  logging: 'logger.js',
  metrics: 'metrics.js',
  jobRunner: 'subscriber/job-runner.js',
  claimStore: 'transport/claim-store.js',
  scripts: 'transport/scripts.js',
  keys: 'transport/keys.js',
  connection: 'transport/redis-connection.js',
  pubsub: 'transport/pubsub/pubsub-transport.js',
  streams: 'transport/streams/streams-transport.js',
};

let loaded: Promise<OurCode> | undefined;

/** OurCode from dist/, checked to be built and current first; loaded once per process. */
export function ourCode(): Promise<OurCode> {
  return (loaded ??= (async () => {
    assertBuilt();
    const names = Object.keys(PATHS) as Array<keyof OurCode>;
    const modules = await Promise.all(names.map((k) => import(new URL(`dist/${PATHS[k]}`, ROOT).href) as Promise<unknown>));
    return Object.fromEntries(names.map((k, i) => [k, modules[i]])) as unknown as OurCode;
  })());
}
