// The fault plan of a chaos run, derived from its seed alone: when each fault strikes, what it
// hits and for how long, the diary edits of the workload, and the fake LLM's answer to each call.
// The same seed gives the same plan (the processes' timing around it varies, the plan does not).
import type { FakeLlmRequest, FakeLlmStep } from '../helpers/fake-llm.js';
import { createPrng } from './prng.js';

export const FAULT_KINDS = [
  'kill-subscriber',
  'term-subscriber',
  'kill-scheduler',
  'term-scheduler',
  'kill-redis',
  'redis-errors',
  'pg-terminate',
  'edit-running',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  /** Milliseconds after the fault phase starts. */
  at: number;
  kind: FaultKind;
  /** Which subscriber (0–2) or scheduler (0–1). */
  target: number;
  /** Restart delay after a kill, Redis's time down, or how long Redis answers with errors. */
  durationMs: number;
  /** Which running job an edit picks (an index into the running ones, modulo their number). */
  pick: number;
}

export interface PlannedEdit {
  at: number;
  /** Indexes into the seeded users and into that user's diaries. */
  user: number;
  day: number;
}

export interface FaultPlan {
  seed: number;
  faults: PlannedFault[];
  edits: PlannedEdit[];
}

export const SUBSCRIBERS = 3;
export const SCHEDULERS = 2;

/** Relative weights of the fault kinds. */
const WEIGHTS: Record<FaultKind, number> = {
  'kill-subscriber': 4,
  'term-subscriber': 2,
  'kill-scheduler': 2,
  'term-scheduler': 1,
  'kill-redis': 1,
  'redis-errors': 1.5,
  'pg-terminate': 2,
  'edit-running': 3,
};

function weightedKind(r: number): FaultKind {
  const total = FAULT_KINDS.reduce((s, k) => s + WEIGHTS[k], 0);
  let x = r * total;
  for (const k of FAULT_KINDS) {
    x -= WEIGHTS[k];
    if (x < 0) return k;
  }
  return 'edit-running';
}

export function makeFaultPlan(seed: number, faultPhaseMs: number, world: { users: number; days: number }): FaultPlan {
  const prng = createPrng(seed).fork('faults');
  const faults: PlannedFault[] = [];
  for (let at = prng.int(1000, 3000); at < faultPhaseMs; at += prng.int(600, 3500)) {
    const kind = weightedKind(prng.next());
    const target = prng.int(0, kind.endsWith('scheduler') ? SCHEDULERS - 1 : SUBSCRIBERS - 1);
    const durationMs = kind === 'kill-redis' ? prng.int(300, 3000) : kind === 'redis-errors' ? prng.int(1500, 5000) : prng.int(200, 2500);
    faults.push({ at, kind, target, durationMs, pick: prng.int(0, 1000) });
  }
  const editPrng = createPrng(seed).fork('edits');
  const edits: PlannedEdit[] = [];
  for (let at = editPrng.int(300, 900); at < faultPhaseMs; at += editPrng.int(300, 1500)) {
    edits.push({ at, user: editPrng.int(0, world.users - 1), day: editPrng.int(0, world.days - 1) });
  }
  return { seed, faults, edits };
}

/** A marker the fake LLM always fails (503): the job poisoned on purpose. */
export const POISON = 'POISON-PILL';

/**
 * The fake LLM's answers: latency 50–500 ms, and about 7 % 429, 7 % 5xx and 3 % hung calls, drawn
 * per call in arrival order from the seed. A prompt carrying POISON always gets a 503.
 */
export function llmDecider(seed: number): (request: FakeLlmRequest, n: number) => FakeLlmStep {
  const prng = createPrng(seed).fork('llm');
  return (request) => {
    const r = prng.next();
    const latencyMs = prng.int(50, 500);
    const status = prng.pick([500, 502, 503]);
    const retryAfter = prng.chance(0.5) ? '1' : undefined;
    const text = (request.body?.messages ?? []).map((m) => m.content).join('\n');
    if (text.includes(POISON)) return { type: 'server-error', status: 503 };
    if (r < 0.07) return retryAfter ? { type: 'rate-limit', retryAfter } : { type: 'rate-limit' };
    if (r < 0.14) return { type: 'server-error', status };
    if (r < 0.17) return { type: 'hang' };
    return { type: 'ok', latencyMs };
  };
}

/** Faults of each kind in a plan. */
export function countByKind(faults: readonly { kind: FaultKind }[]): Record<FaultKind, number> {
  const out = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of faults) out[f.kind]++;
  return out;
}
