// `diary-events`: one CLI for every process and operation of the system (loaded by src/cli.ts).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { RedisUnavailableError } from './transport/redis-connection.js';
import { COMMANDS } from './cmd/commands.js';
import { UsageError } from './errors/usage-error.js';
import { deferStop } from './cmd/lifecycle.js';
import { VERSION } from './fleet-reporter.js';
import { startTracing } from './tracing.js';

const USAGE = `Usage: diary-events <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.usage.padEnd(50)} ${c.summary}`).join('\n')}

Settings come from environment variables (see the README). --help shows this text.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`diary-events: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`diary-events: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger: Logger = createLogger({ level: config.logLevel, name: command.name });
  let args;
  try {
    args = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`diary-events ${name}: ${(err as Error).message}\nUsage: diary-events ${command.usage}\n`);
    return 2;
  }
  // Traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set; a long-running command flushes them as
  // the last step of its stop, any other when it returns.
  const tracing = await startTracing({ serviceName: `diary-events-${command.name}`, version: VERSION, instance: config.instance, logger }).catch(
    (err: unknown) => (err instanceof ConfigError ? err : Promise.reject(err)),
  );
  if (tracing instanceof ConfigError) {
    process.stderr.write(`diary-events: ${tracing.message}\n`);
    return 2;
  }
  deferStop(() => tracing.shutdown());
  let code = 1;
  try {
    code = await command.run({ config, logger, values: args.values, positionals: args.positionals });
    return code;
  } catch (err) {
    if (err instanceof RedisUnavailableError || err instanceof UsageError || (err instanceof Error && err.name === 'DatabaseInUseError')) {
      process.stderr.write(`diary-events ${name}: ${err.message}\n`);
      return err instanceof RedisUnavailableError ? 1 : 2;
    }
    const e = err as Error;
    logger.fatal({ err: e }, `${name} failed`);
    process.stderr.write(`diary-events ${name}: ${e.message}\n`);
    return 1;
  } finally {
    // A long-running command (-1) flushes in its stop steps instead.
    if (code >= 0) await tracing.shutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands return -1 and exit from their signal handler.
    // Exit once stdout is flushed (a pipe may still hold what a command printed).
    if (code >= 0) process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`diary-events: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
