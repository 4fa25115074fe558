// Loads the Lua scripts shipped beside this module and runs them by SHA (EVAL on NOSCRIPT).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConn } from './redis-connection.js';

export interface Script {
  /** The file name under lua/, without `.lua`. */
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function loadScript(name: string): Script {
  const source = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * What a module needs to run its scripts, and nothing else of Redis: unit tests hand modules a
 * fake that plays the scripts' state changes, and can hold or reorder their replies.
 */
export interface ScriptRunner {
  run<T>(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<T>;
}

export async function runScript<T>(
  client: RedisConn,
  script: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<T> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return (await client.sendCommand(['EVALSHA', script.sha, ...tail])) as T;
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    // Sent after the NOSCRIPT reply: commands issued meanwhile run first (see claim-store.ts).
    return (await client.sendCommand(['EVAL', script.source, ...tail])) as T;
  }
}

export function scriptRunner(client: RedisConn): ScriptRunner {
  return { run: (script, keys, args) => runScript(client, script, keys, args) };
}
