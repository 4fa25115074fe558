// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by package/file and the top
// functions, plus total time under chosen functions (inclusive).
//   node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--under parseMessage,acquire]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, under: { type: 'string', default: '' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
const totalMs = (profile.endTime - profile.startTime) / 1000;
const msPerHit = totalMs / Math.max(1, totalHits);

function where(url: string): string {
  if (!url) return '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const m = /\/work\/[^/]+\/(.*)$/.exec(url);
  return m?.[1] ?? url;
}

const byWhere = new Map<string, number>();
const byFn = new Map<string, number>();
for (const n of profile.nodes) {
  const h = n.hitCount ?? 0;
  if (h === 0) continue;
  const w = where(n.callFrame.url);
  byWhere.set(w, (byWhere.get(w) ?? 0) + h);
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + h);
}
const top = Number(values.top);
const pct = (h: number) => `${((100 * h) / totalHits).toFixed(1)}%`;
console.log(`${file}: ${totalMs.toFixed(0)} ms sampled, ${totalHits} samples`);
console.log('\nself time by package / file:');
for (const [w, h] of [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(h).padStart(6)}  ${(h * msPerHit).toFixed(0).padStart(6)} ms  ${w}`);
console.log('\nself time by function:');
for (const [f, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(h).padStart(6)}  ${f}`);

// Inclusive time under functions whose name matches.
const names = (values.under ?? '').split(',').filter(Boolean);
if (names.length > 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = (n: ProfileNode): number => (n.hitCount ?? 0) + (n.children ?? []).reduce((a, c) => a + inclusive(byId.get(c) as ProfileNode), 0);
  console.log('\ninclusive time under (outermost frames only):');
  for (const name of names) {
    let hits = 0;
    const visit = (n: ProfileNode, inside: boolean) => {
      const match = !inside && n.callFrame.functionName === name;
      if (match) hits += inclusive(n);
      for (const c of n.children ?? []) visit(byId.get(c) as ProfileNode, inside || match);
    };
    const root = profile.nodes[0];
    if (root) visit(root, false);
    console.log(`  ${pct(hits).padStart(6)}  ${name}`);
  }
}
