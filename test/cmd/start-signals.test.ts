// A long-running command given SIGTERM while its modules are still loading exits 0, as it does at
// any later moment (the chaos suite found SIGTERMed subscribers dying by the signal: loading takes
// seconds on a busy machine). A one-shot command keeps dying by the signal: it did not do its work.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CLI } from '../helpers/cli.js';

const HOOKS = fileURLToPath(new URL('./fixtures/slow-config.mjs', import.meta.url));

/** Starts `args`, sends SIGTERM once the process is loading dist/config.js, and gives its exit. */
async function termWhileLoading(args: string[]): Promise<number | string> {
  const dir = mkdtempSync(join(tmpdir(), 'start-signals-'));
  const marker = join(dir, 'loading');
  try {
    const proc = spawn(process.execPath, ['--import', HOOKS, CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', SLOW_LOAD_MARKER: marker, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(marker)) {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error('the CLI never loaded dist/config.js');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    proc.kill('SIGTERM');
    return await exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const command of ['subscriber', 'scheduler']) {
  test(`${command} given SIGTERM while still loading exits 0`, async () => {
    assert.equal(await termWhileLoading([command]), 0);
  });
}

test('a one-shot command (scheduler --once) given SIGTERM while loading still dies by the signal', async () => {
  assert.equal(await termWhileLoading(['scheduler', '--once']), 'SIGTERM');
});
