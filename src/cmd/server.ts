// `diary-events server`: the diary API (gRPC, gRPC-Web, Connect JSON), the web app, /metrics,
// /healthz and /readyz, all on PORT.
import type { Logger } from '../logger.js';
import type { Runtime } from '../runtime.js';
import { startApiServer } from '../server/api-server.js';
import { jwtSecretFor } from '../server/jwt-secret.js';

export interface ServerRoleOptions {
  /** `all` only: without JWT_SECRET, use (or create) DATA_DIR/jwt-secret instead of refusing to start. */
  allowGeneratedJwtSecret?: boolean;
}

export async function startServerRole(
  rt: Runtime,
  logger: Logger,
  port: number,
  options: ServerRoleOptions = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const jwtSecret = jwtSecretFor(rt.config, options.allowGeneratedJwtSecret === true);
  const server = await startApiServer({ rt: { ...rt, logger }, jwtSecret, port });
  logger.info({ port: server.port, transport: rt.config.transport }, 'server listening');
  return server;
}
