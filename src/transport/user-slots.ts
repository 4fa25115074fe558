// USER_MAX_CONCURRENT_JOBS: how many jobs of one user run at once across the whole fleet. Each
// running job holds a slot in its user's sorted set in Redis (lua/user-slots.lua) under a lease,
// renewed while it runs, so a slot of a subscriber that died frees itself.
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { coalesceBy } from '../coalesce.js';
import { withTimeout } from '../timeout.js';
import type { Keys } from './keys.js';
import { loadScript, type ScriptRunner } from './scripts.js';

export interface UserSlot {
  release(): Promise<void>;
}

export interface UserSlots {
  /** A running slot for one of `userId`'s jobs, or undefined while all of them are taken. */
  take(userId: string): Promise<UserSlot | undefined>;
  /** Slots this process holds now. */
  held(): number;
  /** Renews every held slot now (the timer does it every leaseMs / 3). */
  renew(): Promise<void>;
}

export interface UserSlotsOptions {
  /** USER_MAX_CONCURRENT_JOBS. */
  limit: number;
  /** JOB_LEASE: a slot not renewed for this long frees itself. */
  leaseMs: number;
  logger?: Logger;
  /** Tests only: timers and `now` of their own (otherwise the Redis server's clock). */
  clock?: Clock;
}

const SCRIPT = loadScript('user-slots');
const TIMEOUT_MS = 2000;

export function createUserSlots(scripts: ScriptRunner, keys: Keys, options: UserSlotsOptions): UserSlots {
  const { limit, leaseMs } = options;
  const clock = options.clock ?? systemClock;
  const now = () => (options.clock ? options.clock.now() : '');
  // userId → tokens held by this process.
  const held = new Map<string, Set<string>>();
  let timer: TimerHandle | undefined;

  const run = <T>(userKeys: string[], op: string, tokens: string[]) =>
    withTimeout(scripts.run<T>(SCRIPT, userKeys, [op, limit, leaseMs, now(), ...tokens]), TIMEOUT_MS, 'user slots');
  // The takes and the releases of one turn are one script call per slot group (issue 19: two
  // Redis commands per job otherwise).
  type Job = { key: string; token: string };
  const perTurn = (op: 'take' | 'release') =>
    coalesceBy(
      (job: Job) => keys.slotGroup(job.key),
      async (jobs: readonly Job[]) => {
        const answers = await run<number[]>(jobs.map((j) => j.key), op, jobs.map((j) => j.token));
        return answers.map(Number);
      },
    );
  const takeOne = perTurn('take');
  const releaseOne = perTurn('release');

  const schedule = () => {
    if (timer !== undefined || held.size === 0) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      void renew().finally(schedule);
    }, Math.max(100, Math.floor(leaseMs / 3)));
    timer.unref();
  };

  async function renew(): Promise<void> {
    await Promise.all(
      [...held].map(async ([userId, tokens]) => {
        try {
          const kept = Number(await run<number>([keys.userRunning(userId)], 'renew', [...tokens]));
          if (kept < tokens.size) options.logger?.warn({ user_id: userId, lost: tokens.size - kept }, 'user slots lapsed before renewal (Redis slow or away)');
        } catch (err) {
          options.logger?.warn({ err: (err as Error).message }, 'could not renew user slots; retrying');
        }
      }),
    );
  }

  return {
    async take(userId) {
      const token = randomUUID();
      const key = keys.userRunning(userId);
      if ((await takeOne({ key, token })) !== 1) return undefined;
      let mine = held.get(userId);
      if (!mine) held.set(userId, (mine = new Set()));
      mine.add(token);
      schedule();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const set = held.get(userId);
          set?.delete(token);
          if (set?.size === 0) held.delete(userId);
          if (held.size === 0 && timer !== undefined) {
            clock.clearTimeout(timer);
            timer = undefined;
          }
          // A failed release only lets the slot lapse by its lease.
          await releaseOne({ key, token }).catch(() => undefined);
        },
      };
    },
    held: () => [...held.values()].reduce((n, s) => n + s.size, 0),
    renew,
  };
}
