// A private redis-server per test suite: free port, its own temporary directory, optional AOF;
// it can be killed (SIGKILL), stopped and restarted on the same port and directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort, redisAnswers } from '../../src/cmd/embedded-redis.js';
import { realClockEnv } from './clock.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  appendonly?: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Extra redis-server arguments, e.g. ['--client-output-buffer-limit', 'pubsub 1mb 1mb 0']. */
  args?: string[];
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stops (SIGTERM, or SIGKILL when `hard`) and waits for the process to exit. */
  stop(hard?: boolean): Promise<void>;
  /** Starts the server again on the same port and directory. */
  start(): Promise<void>;
  /** Stops for good and removes the directory. */
  destroy(): Promise<void>;
}

export { freePort };

async function waitForRedis(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await redisAnswers('127.0.0.1', port, 300))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'diary-redis-'));
  let proc: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no',
    ...(options.appendfsync ? ['--appendfsync', options.appendfsync] : []),
    ...(options.args ?? []),
  ];
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      const p = spawn('redis-server', args, { stdio: 'ignore', env: realClockEnv() });
      proc = p;
      await waitForRedis(port, 10_000);
    },
    async stop(hard = false) {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
      proc = undefined;
    },
    async destroy() {
      await server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
