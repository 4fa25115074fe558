// The diary API: Connect-ES handlers for every service, served as gRPC, gRPC-Web and Connect JSON
// on one port (HTTP/1.1 and h2c, see dual-protocol.ts), next to /healthz, the web app's static
// files and — unless they have a port of their own (METRICS_PORT) — /metrics and /readyz. Every
// response carries the security headers; API answers are never cached.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createContextValues, type ConnectRouter } from '@connectrpc/connect';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';
import { secretBoxFromSetting } from '../crypto/secret-box.js';
import { AdminService } from '../gen/diary/v1/admin_pb.js';
import { AuthService } from '../gen/diary/v1/auth_pb.js';
import { DiaryService } from '../gen/diary/v1/diaries_pb.js';
import { SettingsService } from '../gen/diary/v1/settings_pb.js';
import { SummaryService } from '../gen/diary/v1/summaries_pb.js';
import type { Runtime } from '../runtime.js';
import { authInterceptor, clientAddressKey } from './auth.js';
import { clientAddress, createDualServer } from './dual-protocol.js';
import { errorInterceptor } from './error-interceptor.js';
import { rpcAdapter } from './rpc-adapter.js';
import { ALL_OPS_PATHS, opsRoutes, startOpsServer, type OpsServer } from './ops-routes.js';
import type { BackoffOptions, BucketOptions } from '../transport/limits.js';
import { setSecurityHeaders } from './security-headers.js';
import { adminService } from './services/admin-service.js';
import { authService } from './services/auth-service.js';
import { diaryService } from './services/diary-service.js';
import { settingsService } from './services/settings-service.js';
import { summaryService } from './services/summary-service.js';
import { findWebRoot, staticFiles } from './static-files.js';

/** Largest request body: a 100,000-character diary in JSON with every character escaped fits. */
export const READ_MAX_BYTES = 1024 * 1024;

/** Limits kept in Redis, so that every server replica counts the same attempts. */
export interface RateLimits {
  /** Sign-in attempts per email and client address: 5, then waits of 1 s, 2 s, 4 s … up to 15 min. */
  signInBackoff: BackoffOptions;
  /** Sign-in and sign-up attempts per client address: 30, then one every 2 s. */
  authPerAddress: BucketOptions;
  /** Manual summary requests per user: 10 a minute. */
  summaryRequests: BucketOptions;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  signInBackoff: { free: 5, baseMs: 1000, maxMs: 900_000 },
  authPerAddress: { capacity: 30, refillMs: 2_000 },
  summaryRequests: { capacity: 10, refillMs: 6_000 },
};

/** Connect JSON bodies must be UTF-8: a bad byte is refused (invalid_argument), not turned into U+FFFD. */
const JSON_OPTIONS = { ignoreUnknownFields: false, textDecoder: new TextDecoder('utf-8', { fatal: true }) };

export interface ApiServerOptions {
  rt: Pick<Runtime, 'config' | 'logger' | 'db' | 'messaging' | 'readiness' | 'egress'>;
  jwtSecret: string;
  port: number;
  /** @defaultValue 0.0.0.0 */
  host?: string;
  /** When given, /metrics and /readyz are served on this port (on `host`) only, not on `port`. */
  metricsPort?: number;
  /** Directory of the built web app; undefined: dist/web when it exists; null: none. */
  webRoot?: string | null;
  rateLimits?: Partial<RateLimits>;
  now?: () => Date;
}

export interface ApiServer {
  port: number;
  /** The /metrics and /readyz port, when they have their own. */
  metricsPort: number | undefined;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { rt, jwtSecret } = options;
  const { config, logger, db } = rt;
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const now = options.now ?? (() => new Date());
  const publishDeps = { db, transport: rt.messaging.transport, logger, minChars: config.summaryMinChars, now };

  const routes = (router: ConnectRouter) => {
    router.service(DiaryService, diaryService(publishDeps));
    router.service(
      SummaryService,
      summaryService({ ...publishDeps, requestLimiter: rt.messaging.limits.bucket('summary', limits.summaryRequests) }),
    );
    router.service(
      SettingsService,
      settingsService({
        db,
        box: secretBoxFromSetting(config.secretKey),
        egress: rt.egress,
        system: { provider: config.llm.provider, baseUrl: config.llm.baseUrl, model: config.llm.model, allowedModels: config.llm.allowedModels },
      }),
    );
    router.service(
      AuthService,
      authService({
        db,
        logger,
        jwtSecret,
        registerKey: config.registerKey,
        defaultTimezone: config.defaultTimezone,
        signInBackoff: rt.messaging.limits.backoff('sign-in', limits.signInBackoff),
        addressLimiter: rt.messaging.limits.bucket('auth-address', limits.authPerAddress),
      }),
    );
    router.service(AdminService, adminService({ db, inspector: rt.messaging.inspector, fleet: rt.messaging.fleet, prices: rt.config.llm.prices }));
  };

  const host = options.host ?? '0.0.0.0';
  const ownOps: OpsServer | undefined =
    options.metricsPort === undefined ? undefined : await startOpsServer(options.metricsPort, rt.readiness, logger, host);
  const ops = opsRoutes(rt.readiness, ownOps ? new Set(['/healthz'] as const) : ALL_OPS_PATHS);
  const files = staticFiles(options.webRoot === null ? undefined : (options.webRoot ?? findWebRoot()));

  // Requests no RPC matched: ops paths, then the web app, else 404.
  const fallback = (req: NodeServerRequest, res: NodeServerResponse) => {
    // Moved to METRICS_PORT: a 404 here, not the web app's index.html.
    if (ownOps && /^\/(metrics|readyz)(\?|$)/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    // opsRoutes is typed for node:http; the HTTP/2 compatibility objects have the members it uses.
    ops(req as IncomingMessage, res as unknown as ServerResponse)
      .then((handled) => {
        if (handled || files(req, res)) return;
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
      })
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  };

  const adapter = rpcAdapter({
    routes,
    fallback,
    logger,
    readMaxBytes: READ_MAX_BYTES,
    // Unknown JSON fields are an error: a typo in a field name must not be silently dropped.
    jsonOptions: JSON_OPTIONS,
    interceptors: [
      errorInterceptor(logger),
      authInterceptor({ jwtSecret, db, defaultTimezone: config.defaultTimezone }),
    ],
    contextValues: (req) => {
      const values = createContextValues();
      values.set(clientAddressKey, clientAddress(req));
      return values;
    },
  });

  const dual = createDualServer((req, res) => {
    setSecurityHeaders(res);
    // Static files set their own caching; everything else (API answers, ops) is never stored.
    res.setHeader('cache-control', 'no-store');
    adapter(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    dual.net.once('error', reject);
    dual.net.listen(options.port, host, () => resolve());
  }).catch(async (err: unknown) => {
    await ownOps?.close();
    throw err;
  });
  return {
    port: (dual.net.address() as AddressInfo).port,
    metricsPort: ownOps?.port,
    async close() {
      await dual.close();
      await ownOps?.close();
    },
  };
}
