// /metrics, /healthz and /readyz: served by every process (the API server mounts them too).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { registry } from '../metrics.js';

export interface ReadinessCheck {
  name: string;
  /** True when this dependency is usable now. Must answer quickly (it is given a timeout anyway). */
  check(): Promise<boolean> | boolean;
}

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(c: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(c.check()),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export type OpsPath = '/healthz' | '/readyz' | '/metrics';
export const ALL_OPS_PATHS: ReadonlySet<OpsPath> = new Set(['/healthz', '/readyz', '/metrics']);

/** Handles the ops paths in `paths`; returns false for any other request so the caller can route it. */
export function opsRoutes(checks: readonly ReadinessCheck[], paths: ReadonlySet<OpsPath> = ALL_OPS_PATHS) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] as OpsPath;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!paths.has(path)) return false;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return true;
    }
    if (path === '/readyz') {
      const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
      const ok = results.every(([, v]) => v);
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not ready', checks: Object.fromEntries(results) }));
      return true;
    }
    if (path === '/metrics') {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      return true;
    }
    return false;
  };
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/** A small HTTP server with just the ops paths (scheduler, subscriber and, when set, the server on METRICS_PORT). */
export async function startOpsServer(port: number, checks: readonly ReadinessCheck[], logger: Logger, host = '0.0.0.0'): Promise<OpsServer> {
  const routes = opsRoutes(checks);
  const server = createServer((req, res) => {
    routes(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      })
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'ops endpoint failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
