// A TCP proxy on a free loopback port that can be cut (every connection dropped, new ones refused),
// made to hang (connections stay open but nothing passes, as when a host vanishes from the network)
// and restored: a database or Redis outage for a test without stopping the machine's servers.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.js';

export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  /** Stops passing bytes either way, without closing anything; new connections hang too. */
  hang(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let hung = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        if (hung) {
          // Accepted and left waiting: the caller's connect "succeeds", then nothing answers.
          sockets.add(client);
          client.on('close', () => sockets.delete(client));
          client.on('error', () => client.destroy());
          return;
        }
        const upstream = connect(targetPort, targetHost);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return {
    port,
    cut: stop,
    hang() {
      hung = true;
      // Paused sockets read nothing more, so pipes stop in both directions.
      for (const sock of sockets) {
        sock.unpipe();
        sock.pause();
      }
    },
    async restore() {
      hung = false;
      await stop();
      await listen();
    },
    close: stop,
  };
}
