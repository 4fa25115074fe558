// Runs many seeds one after another, each as its own `main.ts` process, and appends each run's
// JSON report to a file (one line per run), for RESULTS.md (see results.ts):
//   node --import tsx test/chaos/batch.ts --transport streams --from 1 --to 20 --minutes 1 --out /tmp/streams.jsonl
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'pubsub' },
    from: { type: 'string', default: '1' },
    to: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '1' },
    out: { type: 'string' },
    // Keeps each run's process logs in DIR/<transport>-<seed> (see main.ts --logs).
    logs: { type: 'string' },
  },
});
if (!values.out) throw new Error('--out FILE is required');
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
for (let seed = Number(values.from); seed <= Number(values.to); seed++) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, '--seed', String(seed), '--minutes', values.minutes, '--transport', values.transport, '--json', ...(values.logs ? ['--logs', `${values.logs}/${values.transport}-${seed}`] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = r.stdout.trim().split('\n');
  const last = lines.at(-1) ?? '';
  const report = last.startsWith('{') ? last : JSON.stringify({ seed, transport: values.transport, ok: false, violations: [`run crashed: ${r.stderr.slice(-500)}`] });
  appendFileSync(values.out, `${report}\n`);
  console.log(lines.filter((l) => !l.startsWith('{')).slice(-4).join('\n'));
}
