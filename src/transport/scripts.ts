// Loads the Lua scripts shipped beside this module and runs them by SHA (EVAL on NOSCRIPT).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis-connection.js';

export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function loadScript(name: string): Script {
  const source = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export async function runScript<T>(
  client: RedisClient,
  script: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return (await client.sendCommand(['EVALSHA', script.sha, ...tail])) as T;
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return (await client.sendCommand(['EVAL', script.source, ...tail])) as T;
  }
}
