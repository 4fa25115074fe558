// One port for HTTP/1.1 (browsers, curl, gRPC-Web, Connect JSON, Prometheus) and cleartext HTTP/2
// (gRPC clients, "h2c" with prior knowledge). Node's http2.createServer cannot fall back to
// HTTP/1.1 without TLS, so each new connection's first bytes are read: the HTTP/2 client preface
// goes to an http2 server, anything else to an http server. Both run the same request handler.
//
// The http server takes the sniffed bytes back through socket.unshift(); the http2 server reads
// the socket's handle directly (it would miss them), so it gets a stream that replays them first.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttp2Server, Http2ServerRequest, type Http2Server, type Http2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { NodeHandlerFn, NodeServerRequest } from './node-types.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** A connection that sends nothing this long is closed (slowloris on the sniffing stage). */
const SNIFF_TIMEOUT_MS = 10_000;

/** The client address of each HTTP/2 session (its transport is the replaying stream, which has none). */
const sessionAddresses = new WeakMap<Http2Session, string>();

/** The client's socket address for a request of either protocol. */
export function clientAddress(req: NodeServerRequest): string {
  if (req instanceof Http2ServerRequest) return sessionAddresses.get(req.stream.session as Http2Session) ?? 'unknown';
  return req.socket.remoteAddress ?? 'unknown';
}

/** A duplex over `socket` whose readable side yields `head` first, then the socket's data. */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}

export interface DualServer {
  net: NetServer;
  http1: HttpServer;
  http2: Http2Server;
  close(): Promise<void>;
}

export function createDualServer(handler: NodeHandlerFn): DualServer {
  const http1 = createHttpServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, handler);
  http1.keepAliveTimeout = 5_000;
  const http2 = createHttp2Server({ maxSessionMemory: 10 }, handler);
  http2.setTimeout(120_000);
  // 'session' is emitted synchronously inside emit('connection'), so this is that connection's address.
  let connecting: string | undefined;
  http2.on('session', (session: Http2Session) => {
    if (connecting !== undefined) sessionAddresses.set(session, connecting);
  });
  const sockets = new Set<Socket>();

  const route = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      // Undecided while what arrived so far is a prefix of the preface ("P", "PR" could be "POST").
      if (isH2 && n < PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      if (isH2) {
        connecting = socket.remoteAddress ?? 'unknown';
        http2.emit('connection', replaying(socket, seen));
        connecting = undefined;
        return;
      }
      socket.unshift(seen);
      http1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  };
  const net = createNetServer({ pauseOnConnect: false }, route);

  return {
    net,
    http1,
    http2,
    close: () =>
      new Promise<void>((resolve) => {
        net.close(() => resolve());
        http1.closeAllConnections();
        http2.close();
        for (const s of sockets) s.destroy();
      }),
  };
}
