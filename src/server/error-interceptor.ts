// Unexpected errors (a SQL error, a bug) become Internal with a generic message: their text may
// hold table names or data, so it goes to the log, never to the client.
import { ConnectError, Code, type Interceptor } from '@connectrpc/connect';
import type { Logger } from '../logger.js';

export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      // A limit kept in Redis could not be checked: refused, and said so, rather than let through.
      if (err instanceof Error && err.name === 'LimitUnavailableError') {
        throw new ConnectError('a rate limit cannot be checked right now (Redis unreachable); try again shortly', Code.Unavailable);
      }
      logger.error({ err, rpc: `${req.service.typeName}/${req.method.name}` }, 'rpc failed');
      throw new ConnectError('internal error', Code.Internal);
    }
  };
}
