// deploy/prometheus/alerts.yml is valid and each alert fires (and stays quiet) as its unit tests
// in alerts.test.yml say, checked by Debian's promtool; prometheus.yml loads the rules, and the
// compose stack mounts them beside it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
// CI installs prometheus (.ci/run); elsewhere a missing promtool skips, saying so.
const skip = !process.env.CI && !existsSync(PROMTOOL) ? `no promtool at ${PROMTOOL} (apt-get install prometheus)` : false;

function promtool(...args: string[]) {
  const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('promtool check rules: alerts.yml is valid', { skip }, () => {
  const r = promtool('check', 'rules', 'alerts.yml');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: 6 rules found/);
});

test('promtool test rules: every alert fires and stays quiet as alerts.test.yml expects', { skip }, () => {
  const r = promtool('test', 'rules', 'alerts.test.yml');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  // Each alert is tested both ways: firing, and quiet.
  const cases = readFileSync(`${DIR}alerts.test.yml`, 'utf8');
  const rules = [...readFileSync(`${DIR}alerts.yml`, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1] as string);
  assert.equal(rules.length, 6);
  for (const name of rules) {
    assert.match(cases, new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${name} has a firing case`);
    assert.match(cases, new RegExp(`alertname: ${name}\\n\\s+exp_alerts: \\[\\]`), `${name} has a quiet case`);
  }
});

test('promtool check config: prometheus.yml loads alerts.yml', { skip }, () => {
  const r = promtool('check', 'config', 'prometheus.yml');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /alerts\.yml/);
});
