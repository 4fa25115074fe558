// The machine's facts, printed beside every table: the figures mean nothing without them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import pg from 'pg';
import { ADMIN_URL } from '../../test/helpers/db.js';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redisServer: string;
  postgres: string;
  clients: Record<string, string>;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return 'not installed';
  }
}

function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return fromOs ?? 'unknown';
}

export async function machineFacts(): Promise<MachineFacts> {
  let redisServer = 'unknown';
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    redisServer = /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    // not on PATH
  }
  let postgres = 'unknown';
  try {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    postgres = rows[0]?.server_version ?? 'unknown';
    await c.end();
  } catch {
    // no PostgreSQL
  }
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    redisServer,
    postgres,
    clients: {
      redis: packageVersion('redis'),
      bullmq: packageVersion('bullmq'),
      'bee-queue': packageVersion('bee-queue'),
      'bee-queue redis': packageVersion('bee-queue/node_modules/redis'),
      pg: packageVersion('pg'),
      ioredis: packageVersion('ioredis'),
    },
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
