// The web app's built files (dist/web, produced by the web build), with index.html for any other
// GET path so client-side routes survive a reload. Without a build, a small text page says so.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** dist/web next to the compiled server (dist/server/…), else ./dist/web of the working directory. */
export function findWebRoot(): string | undefined {
  const candidates = [fileURLToPath(new URL('../web/', import.meta.url)), resolve('dist/web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

const NO_BUILD = `diary-events API server

The web app has not been built (no dist/web/index.html). Run \`npm run build\`,
or use the API directly: see "The diary API" in the README.
`;

function fileAt(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const path = resolve(root, `.${decoded}`);
  // Never outside the root, whatever "../" or encoded separators the path holds.
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Serves GET/HEAD from `root`; returns false for other methods so the caller can answer 405/404. */
export function staticFiles(root: string | undefined) {
  const base = root ? resolve(root) : undefined;
  return (req: NodeServerRequest, res: NodeServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!base) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      if (req.method === 'HEAD') res.end();
      else res.end(NO_BUILD);
      return true;
    }
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    const direct = urlPath === '/' ? undefined : fileAt(base, urlPath);
    // A missing asset is a 404, not the app: a stale page asking for an old bundle should fail visibly.
    if (!direct && /^\/assets\//.test(urlPath)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return true;
    }
    const file = direct ?? join(base, 'index.html');
    const hashed = /^\/assets\//.test(urlPath);
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      // Vite puts content hashes in asset names; index.html must always be revalidated.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res as NodeJS.WritableStream);
    return true;
  };
}
