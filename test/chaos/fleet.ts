// The chaos run's processes: three subscribers and two schedulers as real CLI processes, each in a
// slot that a fault can SIGKILL (restarted after a delay) or SIGTERM (its exit code and time to
// exit recorded against the bound, then restarted). A process that exits on its own is restarted
// too, as a supervisor would, and recorded.
import { SHUTDOWN_GRACE_MS } from '../../src/cmd/lifecycle.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';

export type Role = 'subscriber' | 'scheduler';

/** What SIGTERM may take: the jobs' grace plus a few seconds for the connections (as test/e2e/shutdown.test.ts). */
export const TERM_BOUND_MS = SHUTDOWN_GRACE_MS + 10_000;

export interface TermRecord {
  role: Role;
  index: number;
  /** Date.now() when SIGTERM was sent, and how long the process took to exit. */
  at: number;
  ms: number;
  code: number | string;
  /** Its last log lines and stderr, for a failed stop. */
  lastLogs: string;
  /** Milliseconds it had been running when SIGTERM came. */
  age: number;
}

export interface ExitRecord {
  role: Role;
  index: number;
  at: number;
  code: number | string;
  /** It had said it was up (subscriber listening / a tick done) before it exited. */
  wasUp: boolean;
  lastLogs: string;
}

interface Slot {
  role: Role;
  index: number;
  proc: CliProcess | undefined;
  /** A kill, term or restart is under way: faults skip the slot meanwhile. */
  busy: boolean;
}

export interface Fleet {
  /** Every process ever started, for their logs. */
  readonly processes: readonly { role: Role; index: number; proc: CliProcess }[];
  readonly terms: readonly TermRecord[];
  readonly exits: readonly ExitRecord[];
  /** SIGKILL, then restart after `restartAfterMs`; false when the slot was busy (skipped). */
  kill(role: Role, index: number, restartAfterMs: number): boolean;
  /** SIGTERM (once it has logged a line), record the exit, then restart (false: skipped, the slot was busy). */
  term(role: Role, index: number): boolean;
  /** Waits until every slot has a running process (pending restarts done). */
  settle(timeoutMs: number): Promise<void>;
  /** Waits until every slot's process says it is up (subscriber listening, scheduler running). */
  waitUp(timeoutMs: number): Promise<void>;
  stopAll(): Promise<void>;
}

const isUp = (p: CliProcess): boolean => p.logs.some((l) => l.msg === 'subscriber listening' || l.msg === 'tick done' || l.msg === 'scheduler running');

export function startFleet(env: Record<string, string>, counts: Record<Role, number>): Fleet {
  const processes: { role: Role; index: number; proc: CliProcess }[] = [];
  const terms: TermRecord[] = [];
  const exits: ExitRecord[] = [];
  const slots: Slot[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  const started = new Map<CliProcess, number>();

  function spawnInto(slot: Slot): void {
    if (stopping) return;
    const proc = spawnCli([slot.role], env);
    slot.proc = proc;
    started.set(proc, Date.now());
    processes.push({ role: slot.role, index: slot.index, proc });
    void proc.exited.then((code) => {
      if (slot.proc !== proc || stopping) return; // killed or termed by us: handled there
      exits.push({ role: slot.role, index: slot.index, at: Date.now(), code, wasUp: isUp(proc), lastLogs: JSON.stringify(proc.logs.slice(-3)) + proc.stderr().slice(-500) });
      slot.proc = undefined;
      later(() => spawnInto(slot), 500);
    });
  }

  function later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  for (const role of ['subscriber', 'scheduler'] as const) {
    for (let index = 0; index < counts[role]; index++) {
      const slot: Slot = { role, index, proc: undefined, busy: false };
      slots.push(slot);
      spawnInto(slot);
    }
  }
  const slotOf = (role: Role, index: number): Slot => {
    const s = slots.find((x) => x.role === role && x.index === index);
    if (!s) throw new Error(`no ${role} ${index}`);
    return s;
  };

  return {
    processes,
    terms,
    exits,
    kill(role, index, restartAfterMs) {
      const slot = slotOf(role, index);
      const proc = slot.proc;
      if (slot.busy || !proc) return false;
      slot.busy = true;
      slot.proc = undefined;
      proc.proc.kill('SIGKILL');
      void proc.exited.then(() =>
        later(() => {
          slot.busy = false;
          spawnInto(slot);
        }, restartAfterMs),
      );
      return true;
    },
    term(role, index) {
      const slot = slotOf(role, index);
      const proc = slot.proc;
      if (slot.busy || !proc) return false;
      slot.busy = true;
      slot.proc = undefined;
      void (async () => {
        // SIGTERM once the process has logged its first line: the command's shutdown is in place
        // from then on. Before node runs any code nothing can catch a signal; the window while
        // the CLI loads has its own test (test/cmd/start-signals.test.ts).
        while (proc.logs.length === 0 && proc.proc.exitCode === null && proc.proc.signalCode === null) await new Promise((r) => setTimeout(r, 50));
        if (proc.proc.exitCode !== null || proc.proc.signalCode !== null) {
          // It ended on its own first (say, Redis was down at its start): not a stop to judge.
          exits.push({ role, index, at: Date.now(), code: await proc.exited, wasUp: isUp(proc), lastLogs: JSON.stringify(proc.logs.slice(-3)) + proc.stderr().slice(-500) });
          slot.busy = false;
          spawnInto(slot);
          return;
        }
        const at = Date.now();
        proc.proc.kill('SIGTERM');
        // Past the bound it is killed: the record says so, and the run goes on.
        const overdue = setTimeout(() => proc.proc.kill('SIGKILL'), TERM_BOUND_MS + 5000);
        const code = await proc.exited;
        clearTimeout(overdue);
        terms.push({ role, index, at, ms: Date.now() - at, code, age: at - (started.get(proc) ?? at), lastLogs: JSON.stringify(proc.logs.slice(-3)) + proc.stderr().slice(-300) });
        slot.busy = false;
        spawnInto(slot);
      })();
      return true;
    },
    async settle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (slots.some((s) => s.busy || !s.proc)) {
        if (Date.now() > deadline) throw new Error('processes did not come back');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async waitUp(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (slots.some((s) => !s.proc || !isUp(s.proc))) {
        if (Date.now() > deadline) throw new Error(`processes not up within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stopAll() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(processes.map(({ proc }) => proc.stop('SIGKILL')));
    },
  };
}
