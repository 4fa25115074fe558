// The generated code in src/gen must be what `npx buf generate` makes of proto/ now: generate into
// a temporary directory (a copy of buf.gen.yaml with another `out`) and compare byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test('src/gen is up to date with proto/ (run `npx buf generate` if this fails)', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'diary-buf-'));
  try {
    const out = join(tmp, 'gen');
    const template = readFileSync(join(ROOT, 'buf.gen.yaml'), 'utf8').replace(/^(\s*out:\s*).*$/m, `$1${out}`);
    assert.notEqual(template, readFileSync(join(ROOT, 'buf.gen.yaml'), 'utf8'), 'buf.gen.yaml has an `out:` line');
    writeFileSync(join(tmp, 'buf.gen.yaml'), template);
    const bin = join(ROOT, 'node_modules', '.bin');
    execFileSync(join(bin, 'buf'), ['generate', '--template', join(tmp, 'buf.gen.yaml')], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
      stdio: 'pipe',
    });
    const committed = join(ROOT, 'src', 'gen');
    const want = files(out).map((f) => relative(out, f)).sort();
    const have = files(committed).map((f) => relative(committed, f)).sort();
    assert.deepEqual(have, want, 'the same files');
    for (const f of want) {
      assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), `${f} is stale: run \`npx buf generate\``);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
