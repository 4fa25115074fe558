// The test clock: scripts/run-tests.mjs runs `@date-sensitive` files under libfaketime, which moves
// the clock of this process. Processes the tests spawn with an env of their own must carry the
// same setting, or they would live on another day.

const CLOCK_VARS = ['LD_PRELOAD', 'FAKETIME', 'DONT_FAKE_MONOTONIC'] as const;

/** The libfaketime variables of this process, for the env of a process it spawns. */
export function clockEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CLOCK_VARS) {
    const v = process.env[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * This process's environment without libfaketime, for programs that must keep the real clock:
 * redis-server (its allocator and libfaketime recurse into each other) and the browser, which
 * gets the test's time through Playwright's clock instead.
 */
export function realClockEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !(CLOCK_VARS as readonly string[]).includes(k)) out[k] = v;
  }
  return out;
}

/** YYYY-MM-DD in `timeZone`, `offsetDays` from today (today as the test clock has it). */
export function dateIn(timeZone: string, offsetDays = 0, now = new Date()): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}
