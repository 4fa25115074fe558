// `diary-events server`: the diary API (gRPC, gRPC-Web, Connect JSON), the web app and /healthz
// on HOST:PORT; /metrics and /readyz there too, or on METRICS_PORT only when that is set.
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import { startApiServer } from '../server/api-server.js';
import { jwtSecretFor } from '../server/jwt-secret.js';

export interface ServerRoleOptions {
  /** `all` only: without JWT_SECRET, use (or create) DATA_DIR/jwt-secret instead of refusing to start. */
  allowGeneratedJwtSecret?: boolean;
  /** Listen address when HOST is unset: `server` 0.0.0.0, `all` 127.0.0.1. @defaultValue 0.0.0.0 */
  defaultHost?: string;
}

export async function startServerRole(
  rt: Runtime,
  logger: Logger,
  port: number,
  options: ServerRoleOptions = {},
): Promise<{ port: number; host: string; metricsPort: number | undefined; close(): Promise<void> }> {
  const jwtSecret = jwtSecretFor(rt.config, options.allowGeneratedJwtSecret === true);
  const host = rt.config.host ?? options.defaultHost ?? '0.0.0.0';
  const metricsPort = rt.config.serverMetricsPort;
  const server = await startApiServer({ rt: { ...rt, logger }, jwtSecret, port, host, ...(metricsPort === undefined ? {} : { metricsPort }) });
  logger.info({ host, port: server.port, metrics_port: server.metricsPort, transport: rt.config.transport }, 'server listening');
  return { ...server, host };
}
