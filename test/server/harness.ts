// An API server in-process over real HTTP, on a throwaway PostgreSQL database and a Redis channel
// of its own (the machine's Redis unless a URL is given), for the server suites.
import { randomBytes, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import { loadConfig, type Config } from '../../src/config.js';
import { createUser } from '../../src/db/users.js';
import { createLogger } from '../../src/logger.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { startApiServer, type ApiServer, type RateLimits } from '../../src/server/api-server.js';
import { mintToken } from '../../src/server/tokens.js';
import { openTestDb, type TestDb } from '../helpers/db.js';

export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789';

export interface TestApi {
  rt: Runtime;
  config: Readonly<Config>;
  server: ApiServer;
  baseUrl: string;
  testDb: TestDb;
  /** A fresh user and a token for them. */
  newUser(options?: { admin?: boolean; timezone?: string }): Promise<{ id: string; token: string }>;
  /** A Connect-protocol client (HTTP/1.1) for `service` acting as `token`. */
  client<S extends DescService>(service: S, token?: string): Client<S>;
  /** A gRPC client (HTTP/2 cleartext) for `service` acting as `token`. */
  grpcClient<S extends DescService>(service: S, token?: string): Client<S>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  env?: Record<string, string>;
  redisUrl?: string;
  rateLimits?: Partial<RateLimits>;
  webRoot?: string | null;
  /** DNS answers for the egress policy, the job budget's window and clock. */
  runtime?: RuntimeOptions;
  /** The server's clock (today, this month). */
  now?: () => Date;
}

function bearer(token: string | undefined): Interceptor {
  return (next) => async (req) => {
    if (token) req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const testDb = await openTestDb('postgres');
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    REDIS_URL: options.redisUrl ?? 'redis://127.0.0.1:6379',
    DIARY_CHANNEL: `diary_test_${randomBytes(5).toString('hex')}`,
    JWT_SECRET,
    SECRET_KEY,
    SUMMARY_MIN_CHARS: '20',
    DEFAULT_TIMEZONE: 'UTC',
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...options.env,
  });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const rt = await openRuntime(config, logger, testDb.db, options.runtime);
  const server = await startApiServer({
    rt,
    jwtSecret: config.jwtSecret ?? JWT_SECRET,
    port: 0,
    host: '127.0.0.1',
    webRoot: options.webRoot === undefined ? null : options.webRoot,
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const connect: Transport[] = [];
  const transports = new Map<string, Transport>();
  const transportFor = (kind: 'connect' | 'grpc', token: string | undefined) => {
    const key = `${kind}:${token ?? ''}`;
    let t = transports.get(key);
    if (!t) {
      t =
        kind === 'connect'
          ? createConnectTransport({ baseUrl, httpVersion: '1.1', interceptors: [bearer(token)] })
          : createGrpcTransport({ baseUrl, interceptors: [bearer(token)] });
      transports.set(key, t);
      connect.push(t);
    }
    return t;
  };
  return {
    rt,
    config,
    server,
    baseUrl,
    testDb,
    async newUser(o = {}) {
      const user = await createUser(testDb.db, { email: `${randomUUID()}@example.com`, timezone: o.timezone ?? null });
      if (o.admin) await testDb.db.query('UPDATE users SET is_admin = true WHERE id = $1', [user.id]);
      return { id: user.id, token: await mintToken(JWT_SECRET, { userId: user.id, admin: o.admin === true }) };
    },
    client: (service, token) => createClient(service, transportFor('connect', token)),
    grpcClient: (service, token) => createClient(service, transportFor('grpc', token)),
    async close() {
      await server.close();
      await rt.close();
      await testDb.drop();
    },
  };
}

/** YYYY-MM-DD of `days` days from today (UTC, the suites' DEFAULT_TIMEZONE). */
export function dayOffset(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The Connect code a call fails with (fails the test when the call succeeds). */
export async function codeOf(promise: Promise<unknown>): Promise<Code> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err).code;
  }
  assert.fail('expected the call to fail');
}
