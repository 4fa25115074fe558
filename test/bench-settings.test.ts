// The bench's own settings (BENCH_COST_WARM_JOBS, BENCH_LLM_WARM_JOBS, BENCH_LLM_DAYS and the child
// processes' variables): a bad value stops the bench with the variable's name before it measures.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { envCount, requiredEnv } from '../bench/lib/common.js';

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
