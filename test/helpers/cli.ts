// Spawns the built CLI (dist/cli.js) as a real process, collects its JSON log lines, and waits for
// lines or exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clockEnv } from './clock.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface LogLine {
  level?: string;
  msg?: string;
  [k: string]: unknown;
}

export interface CliProcess {
  proc: ChildProcess;
  /** Parsed JSON log lines (stdout), in order. */
  logs: LogLine[];
  /** Raw stdout and stderr text. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line matching, or rejects after `timeoutMs`. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Sends `signal` and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...clockEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as LogLine;
        logs.push(parsed);
        for (const w of [...waiters]) {
          if (w.match(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      } catch {
        // not a log line
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    proc,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match, timeoutMs = 20_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1);
          reject(new Error(`timed out waiting for a log line; stderr: ${err.slice(-2000)}; last logs: ${JSON.stringify(logs.slice(-5))}`));
        }, timeoutMs);
        const entry = {
          match,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(entry);
        exited.then(() => {
          if (waiters.includes(entry)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(entry), 1);
            reject(new Error(`process exited before the log line; stderr: ${err.slice(-2000)}`));
          }
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs a short CLI command to completion. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnCli(args, env);
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
