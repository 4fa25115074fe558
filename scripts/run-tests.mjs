// Runs every test/**/*.test.ts with Node's own test runner (Node 20 has no glob in --test).
// Files run one at a time: end-to-end suites spawn processes and servers that would fight for 2 cores.
//
// A file that says `@date-sensitive` (it takes "today" from the clock) never runs on the real,
// uncontrolled day: it runs once per awkward day below, with the clock of the test process and of
// everything it spawns moved there by libfaketime (an offset, so every process shares one clock).
// `--today YYYY-MM-DD` (repeatable) picks the days. Without libfaketime the files run once on the
// real clock, and the run says so.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

/** The first of a month, 1 January, 29 February and the last day of a month. */
const AWKWARD_DAYS = ['2026-12-01', '2027-01-01', '2028-02-29', '2026-11-30'];
/** 03:00 UTC is noon in Asia/Tokyo: the same calendar day in both zones the suites use. */
const TIME_OF_DAY = 'T03:00:00Z';
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1'].find((p) => existsSync(p));

const { values, positionals } = parseArgs({ options: { today: { type: 'string', multiple: true } }, allowPositionals: true });
const days = values.today ?? AWKWARD_DAYS;
for (const d of days) if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) throw new Error(`--today ${d}: expected YYYY-MM-DD`);

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts') && (positionals.length === 0 || positionals.some((o) => path.includes(o)))) files.push(path);
  }
})('test');
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const dated = files.filter((f) => readFileSync(f, 'utf8').includes('@date-sensitive'));
const plain = files.filter((f) => !dated.includes(f));

function run(list, env = {}) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...list],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  return result.status ?? 1;
}

// Every group runs even after a failure, so one run shows every day that fails.
let status = run(plain);
if (dated.length > 0 && !LIBFAKETIME) {
  console.warn(`\n# libfaketime is missing (apt-get install faketime): ${dated.length} date-sensitive file(s) run on today's real date only`);
  status = run(dated) || status;
} else if (dated.length > 0) {
  for (const day of days) {
    const offsetSeconds = Math.round((Date.parse(`${day}${TIME_OF_DAY}`) - Date.now()) / 1000);
    console.log(`\n# date-sensitive suites with today = ${day} (libfaketime, offset ${offsetSeconds}s)`);
    const dayStatus = run(dated, {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME: `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}`,
      // Timers and durations keep the real monotonic clock; only the calendar moves.
      DONT_FAKE_MONOTONIC: '1',
    });
    if (dayStatus !== 0) console.error(`# date-sensitive suites FAILED with today = ${day}`);
    status = dayStatus || status;
  }
}
process.exit(status);
