// The bench's own settings (BENCH_COST_WARM_JOBS, BENCH_LLM_WARM_JOBS, BENCH_LLM_DAYS and the child
// processes' variables): a bad value stops the bench with the variable's name before it measures.
// And its build check: what it measures is the current dist/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { envCount, requiredEnv } from '../bench/lib/common.js';
import { assertBuilt } from '../bench/lib/compiled.js';

const NAME = 'DIARY_TEST_BENCH_COUNT';
afterEach(() => {
  delete process.env[NAME];
});

test('an unset or empty count takes the fallback; a set one is read', () => {
  assert.equal(envCount(NAME, 4000), 4000);
  process.env[NAME] = '';
  assert.equal(envCount(NAME, 4000), 4000);
  process.env[NAME] = '250';
  assert.equal(envCount(NAME, 4000), 250);
});

test('a count that is not a positive whole number is an error naming the variable', () => {
  for (const bad of ['0', '-3', '2.5', '1e3x', 'many', '9007199254740993']) {
    process.env[NAME] = bad;
    assert.throws(() => envCount(NAME, 4000), new RegExp(`^Error: ${NAME} must be a positive whole number, got "${bad.replace('.', '\\.')}"$`));
  }
});

test('a required count or variable that is unset is an error naming it', () => {
  assert.throws(() => envCount(NAME), new RegExp(`^Error: ${NAME} is required`));
  assert.throws(() => requiredEnv(NAME), new RegExp(`^Error: ${NAME} is required$`));
  process.env[NAME] = 'redis://127.0.0.1:1';
  assert.equal(requiredEnv(NAME), 'redis://127.0.0.1:1');
});

test('the in-process benches refuse a missing or stale build, and take a current one', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bench-build-'));
  try {
    const url = pathToFileURL(`${root}/`);
    mkdirSync(join(root, 'src', 'transport'), { recursive: true });
    writeFileSync(join(root, 'src', 'transport', 'keys.ts'), '');
    assert.throws(() => assertBuilt(url), /^Error: dist\/cli\.js is missing: run `npm run build` first$/);
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'cli.js'), '');
    const built = new Date('2026-01-01T00:00:00Z');
    utimesSync(join(root, 'dist', 'cli.js'), built, built);
    // A source file edited after the build, however deep: the build is stale.
    const edited = new Date('2026-01-02T00:00:00Z');
    utimesSync(join(root, 'src', 'transport', 'keys.ts'), edited, edited);
    assert.throws(() => assertBuilt(url), /^Error: src\/ is newer than dist\/: run `npm run build` first$/);
    const before = new Date('2025-12-31T00:00:00Z');
    utimesSync(join(root, 'src', 'transport', 'keys.ts'), before, before);
    assert.doesNotThrow(() => assertBuilt(url));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
