// What a CLI command is and what it is given: its own module, so the command table and the
// commands it lists import it without importing each other.
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export interface CommandContext {
  config: Readonly<Config>;
  logger: Logger;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  /** Exit code, or -1 for a long-running command that exits from its signal handler. */
  run(ctx: CommandContext): Promise<number>;
}
