// The Node handler for the RPCs: connect-node's adapter, plus one correction. connect-es reports a
// binary request body it cannot decode (invalid UTF-8 in a string field, a truncated message) as
// `internal`, because its parser is shared with clients, where an undecodable answer is the
// server's fault. Here it is the caller's: `invalid_argument`, as for a bad JSON body. The body is
// parsed before any interceptor runs, so the answer is mended on its way out.
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions, type ContextValues } from '@connectrpc/connect';
import { createAsyncIterable, type UniversalServerResponse } from '@connectrpc/connect/protocol';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type { Logger } from '../logger.js';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

export interface RpcAdapterOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  fallback(req: NodeServerRequest, res: NodeServerResponse): void;
  contextValues(req: NodeServerRequest): ContextValues;
  logger: Logger;
}

const PARSE_BINARY = /^parse binary: /;

function isParseFailure(code: unknown, message: unknown): message is string {
  return (code === 'internal' || code === String(Code.Internal)) && typeof message === 'string' && PARSE_BINARY.test(decodeURIComponent(message));
}

/** Connect protocol: the error is the JSON body of a 500; gRPC: the trailer of the stream. */
export async function binaryParseAsInvalid(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const { body, trailer } = res;
  if (body === undefined) return res;
  if (trailer) {
    return {
      ...res,
      body: (async function* mended() {
        yield* body;
        if (isParseFailure(trailer.get('grpc-status'), trailer.get('grpc-message'))) trailer.set('grpc-status', String(Code.InvalidArgument));
      })(),
    };
  }
  if (res.status !== 500 || !res.header?.get('content-type')?.startsWith('application/json') || res.header.has('content-encoding')) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  const unchanged = { ...res, body: createAsyncIterable([bytes]) };
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(bytes.toString('utf8')) as { code?: unknown; message?: unknown };
  } catch {
    return unchanged;
  }
  if (!isParseFailure(error.code, error.message)) return unchanged;
  const mended = Buffer.from(JSON.stringify({ code: 'invalid_argument', message: error.message }));
  res.header.set('content-length', String(mended.byteLength));
  return { ...res, status: 400, body: createAsyncIterable([mended]) };
}

export function rpcAdapter(options: RpcAdapterOptions): (req: NodeServerRequest, res: NodeServerResponse) => void {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req, res) => {
    const handler = handlers.get(req.url?.split('?', 1)[0] ?? '');
    if (!handler) {
      options.fallback(req, res);
      return;
    }
    const uReq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues(req));
    handler(uReq)
      .then(async (uRes) => universalResponseToNodeResponse(await binaryParseAsInvalid(uRes), res))
      .catch((err: unknown) => {
        if (ConnectError.from(err).code === Code.Aborted) return;
        options.logger.error({ err: ConnectError.from(err).message, rpc: `${handler.service.typeName}/${handler.method.name}` }, 'rpc handler failed');
      });
  };
}
