// One chaos run: build the world, start the fleet, play the seed's fault plan and workload edits
// for the fault phase, stop injecting, wait (bounded) for the system to converge, then check the
// invariants. Everything is torn down whatever happens.
import { countByKind, makeFaultPlan, SCHEDULERS, SUBSCRIBERS, type FaultKind, type FaultPlan, type PlannedFault } from './fault-plan.js';
import { startFleet, type Fleet } from './fleet.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkExits, checkLlmCalls, checkSummaries, checkTicks, jobVersionOf, leaseLapses, type InjectedFault } from './invariants.js';
import { streamsState } from './streams-state.js';
import { createChaosWorld, DAYS, USERS, type ChaosWorld, type Transport } from './world.js';

export interface ChaosOptions {
  seed: number;
  /** Length of the fault phase. */
  faultPhaseMs: number;
  transport: Transport;
  /** How long the system gets to converge once faults stop. @defaultValue 180 000 */
  convergeMs?: number;
  log?: (line: string) => void;
  /** When set, every process's log lines are written here (one file per process) at the end. */
  logDir?: string;
}

export interface ChaosReport {
  seed: number;
  transport: Transport;
  ok: boolean;
  violations: string[];
  planned: Record<FaultKind, number>;
  injected: Record<FaultKind, number>;
  llmCalls: number;
  llmFaultAnswers: number;
  histogram: Record<number, number>;
  edits: number;
  /** Claims that expired unrenewed under a running job (subscribers' "claim lost" lines). */
  leaseLapses: number;
  /** The driver's longest event-loop stall: how overloaded the machine was. */
  maxStallMs: number;
  ticks: number;
  terms: number;
  convergedMs: number | undefined;
  deadLetters: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const plan = makeFaultPlan(options.seed, options.faultPhaseMs, { users: USERS, days: DAYS });
  log(`seed ${options.seed} transport ${options.transport}: ${plan.faults.length} faults and ${plan.edits.length} edits planned over ${options.faultPhaseMs} ms`);
  const world = await createChaosWorld(options.seed, options.transport);
  const fleet = startFleet(world.env, { subscriber: SUBSCRIBERS, scheduler: SCHEDULERS });
  const injected: InjectedFault[] = [];
  const pendingFaults = new Set<Promise<void>>();
  const redisLock = { busy: false };
  // The driver's own event-loop stalls, as a measure of the machine's load.
  const stalls = { max: 0, last: Date.now() };
  const stallTimer = setInterval(() => {
    const now = Date.now();
    stalls.max = Math.max(stalls.max, now - stalls.last - 100);
    stalls.last = now;
  }, 100);
  let edits = 0;
  try {
    // Starting five processes takes seconds on a busy machine: the faults begin once they are up.
    await fleet.waitUp(300_000);
    await world.poison();
    log('fleet up: fault phase starts');
    const t0 = Date.now();
    const inject = (f: PlannedFault): void => {
      const p = runFault(world, fleet, f, injected, redisLock, log).catch((err: unknown) => log(`fault ${f.kind} failed to inject: ${String(err)}`));
      pendingFaults.add(p);
      void p.finally(() => pendingFaults.delete(p));
    };
    const events = [...plan.faults.map((f) => ({ at: f.at, f })), ...plan.edits.map((e) => ({ at: e.at, e }))].sort((a, b) => a.at - b.at);
    for (const ev of events) {
      const wait = t0 + ev.at - Date.now();
      if (wait > 0) await sleep(wait);
      if ('f' in ev) inject(ev.f);
      else {
        await world.edit(ev.e.user, ev.e.day).catch((err: unknown) => log(`edit failed: ${String(err)}`));
        edits++;
      }
    }
    const rest = t0 + options.faultPhaseMs - Date.now();
    if (rest > 0) await sleep(rest);
    log('fault phase over: converging');
    await Promise.all([...pendingFaults]);
    await fleet.settle(60_000);

    const convergeStart = Date.now();
    const convergeMs = options.convergeMs ?? 180_000;
    let convergedMs: number | undefined;
    while (Date.now() - convergeStart < convergeMs) {
      const summaries = await checkSummaries(world.pool, world.poisonedUser);
      const streams = world.transport === 'streams' ? await streamsState(world) : undefined;
      if (summaries.length === 0 && (!streams || (streams.pending === 0 && streams.lag === 0))) {
        convergedMs = Date.now() - convergeStart;
        break;
      }
      await sleep(1000);
    }
    // Let anything still in flight land, so a late duplicate call would be seen.
    await sleep(3000);
    log(convergedMs === undefined ? `not converged within ${convergeMs} ms` : `converged after ${convergedMs} ms`);

    const violations: string[] = [];
    if (convergedMs === undefined) violations.push(`did not converge within ${convergeMs} ms`);
    violations.push(...(await checkSummaries(world.pool, world.poisonedUser)).map((v) => `summary: ${v}`));
    let deadLetters = 0;
    if (world.transport === 'streams') {
      const s = await streamsState(world);
      deadLetters = s.dead.length;
      if (s.pending > 0) violations.push(`streams: ${s.pending} entries still pending`);
      const others = s.dead.filter((d) => !d.includes(world.poisonedUser as string));
      if (others.length > 0) violations.push(`streams: dead-lettered without poison: ${others.join(' | ')}`);
      if (s.dead.length === 0) violations.push('streams: the poisoned job was not dead-lettered');
    }
    const lapses = leaseLapses(fleet.processes.filter((p) => p.role === 'subscriber').map((p) => p.proc.logs), world.users);
    const calls = checkLlmCalls(world.llm.requests, injected, lapses, Number.parseInt(world.env.JOB_LEASE ?? '5', 10) * 1000);
    violations.push(...calls.violations.map((v) => `llm calls: ${v}`));
    const ticks = checkTicks(
      fleet.processes.filter((p) => p.role === 'scheduler').map((p) => p.proc.logs),
      1000,
    );
    violations.push(...ticks.violations.map((v) => `scheduler: ${v}`));
    violations.push(...checkExits(fleet.terms, fleet.exits).map((v) => `process: ${v}`));
    return {
      seed: options.seed,
      transport: options.transport,
      ok: violations.length === 0,
      violations,
      planned: countByKind(plan.faults),
      injected: countByKind(injected),
      llmCalls: world.llm.requests.length,
      llmFaultAnswers: world.llm.requests.filter((r) => r.answer !== 'ok').length,
      histogram: calls.histogram,
      edits,
      leaseLapses: lapses.length,
      maxStallMs: stalls.max,
      ticks: ticks.ticks,
      terms: fleet.terms.length,
      convergedMs,
      deadLetters,
    };
  } finally {
    clearInterval(stallTimer);
    await Promise.allSettled([...pendingFaults]);
    await fleet.stopAll();
    if (options.logDir) {
      mkdirSync(options.logDir, { recursive: true });
      fleet.processes.forEach((p, i) => writeFileSync(join(options.logDir as string, `${String(i).padStart(2, '0')}-${p.role}${p.index}.log`), p.proc.stdout() + p.proc.stderr()));
      writeFileSync(join(options.logDir, 'faults.json'), JSON.stringify(injected, null, 1));
      writeFileSync(join(options.logDir, 'llm.jsonl'), world.llm.requests.map((r) => JSON.stringify({ at: r.at, answer: r.answer, version: jobVersionOf(r) })).join('\n'));
    }
    await world.close();
  }
}

/** Injects one planned fault and records when it acted (nothing, when its target was busy). */
/** One Redis fault at a time: `redisLock.busy` while Redis is down or answering with errors. */
async function runFault(
  world: ChaosWorld,
  fleet: Fleet,
  f: PlannedFault,
  injected: InjectedFault[],
  redisLock: { busy: boolean },
  log: (l: string) => void,
): Promise<void> {
  const start = Date.now();
  const record = (end = Date.now()) => injected.push({ kind: f.kind, target: f.target, start, end });
  switch (f.kind) {
    case 'kill-subscriber':
    case 'kill-scheduler':
      if (fleet.kill(f.kind === 'kill-subscriber' ? 'subscriber' : 'scheduler', f.target, f.durationMs)) record();
      return;
    case 'term-subscriber':
    case 'term-scheduler': {
      const role = f.kind === 'term-subscriber' ? 'subscriber' : 'scheduler';
      const before = fleet.terms.length;
      if (!fleet.term(role, f.target)) return;
      while (fleet.terms.length === before || !fleet.terms.slice(before).some((t) => t.role === role && t.index === f.target)) await sleep(100);
      record();
      return;
    }
    case 'kill-redis':
      if (redisLock.busy) return;
      redisLock.busy = true;
      try {
        await world.redis.stop(true);
        await sleep(f.durationMs);
        await world.redis.start();
        record();
      } finally {
        redisLock.busy = false;
      }
      return;
    case 'redis-errors': {
      if (redisLock.busy) return;
      redisLock.busy = true;
      try {
        // Every write gets an OOM error reply for a few seconds; reads still answer.
        const c = await world.redisClient();
        await c.configSet({ 'maxmemory-policy': 'noeviction', maxmemory: '1' });
        await sleep(f.durationMs);
        await c.configSet('maxmemory', '0');
        record();
      } finally {
        redisLock.busy = false;
      }
      return;
    }
    case 'pg-terminate': {
      const n = await world.terminateBackends();
      log(`pg_terminate_backend: ${n} connections`);
      record();
      return;
    }
    case 'edit-running': {
      const { rows } = await world.pool.query<{ user_id: string; date: string }>(
        `SELECT user_id::text, date::text FROM diary_summary_days WHERE status = 'processing' ORDER BY user_id, date`,
      );
      const running = rows.filter((r) => world.users.includes(r.user_id));
      const target = running.length > 0 ? (running[f.pick % running.length] as { user_id: string; date: string }) : undefined;
      const user = target ? world.users.indexOf(target.user_id) : f.pick % USERS;
      const day = target ? world.dates.indexOf(target.date) : f.target % DAYS;
      await world.edit(user, day);
      record();
      return;
    }
  }
}

export function planOf(seed: number, faultPhaseMs: number): FaultPlan {
  return makeFaultPlan(seed, faultPhaseMs, { users: USERS, days: DAYS });
}
