// Bytes allocated per job by function, from a sampled heap profile of bench/profile-runner.ts:
//   node --import tsx bench/heap-summary.ts drain.heapprofile <jobs> [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const [file, jobsArg] = positionals;
const jobs = Number(jobsArg);
const top = Number(values.top);
if (!file || !Number.isSafeInteger(jobs) || jobs < 1 || !Number.isSafeInteger(top) || top < 1) {
  throw new Error('usage: heap-summary.ts <file.heapprofile> <jobs> [--top N]');
}
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
const bytes = new Map<string, number>();
let total = 0;
const walk = (n: HeapNode): void => {
  const where = n.callFrame.url.replace(/.*\/(dist|node_modules)\//, '$1/');
  const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
  total += n.selfSize;
  bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
  n.children.forEach(walk);
};
walk(head);
console.log(`${file}: ${(total / jobs).toFixed(0)} bytes allocated per job (sampled)`);
for (const [key, b] of [...bytes].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${(b / jobs).toFixed(0).padStart(7)}  ${key}`);
