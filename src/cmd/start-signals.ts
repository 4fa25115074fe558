// SIGINT/SIGTERM before a long-running command has installed its shutdown (src/cmd/lifecycle.ts):
// it holds nothing yet, so it exits 0 at once, as a stop at any later moment ends. One-shot
// commands (migrate, publish, scheduler --once) keep dying by the signal: they did not do their
// work. No imports here: this runs before the rest of the CLI is loaded.

const LONG_RUNNING = new Set(['subscriber', 'scheduler', 'server', 'all']);

let early: (() => void) | undefined;

/** Installed first thing by the entry point, with the command line. */
export function catchSignalsWhileStarting(argv: readonly string[]): void {
  const [name, ...rest] = argv;
  if (name === undefined || !LONG_RUNNING.has(name) || rest.includes('--once')) return;
  const handler = (): void => process.exit(0);
  early = handler;
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** The command's own shutdown takes the signals from here on. */
export function handOverSignals(): void {
  if (!early) return;
  process.off('SIGTERM', early);
  process.off('SIGINT', early);
  early = undefined;
}
