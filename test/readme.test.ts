// The README stays true: its settings table is the one src/config.ts reads, and it shows the two
// first commands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { settingsTable } from '../scripts/settings-table.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README settings table equals src/config.ts SETTINGS', () => {
  const m = /<!-- settings:start[^>]*-->\n\| name \| default \| meaning \|\n\|---\|---\|---\|\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme);
  assert.ok(m, 'settings table markers present');
  assert.equal(m[1], settingsTable(), 'regenerate with: node --import tsx scripts/settings-table.ts');
});

test('the README shows the first two commands', () => {
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /^npm test/m);
});
