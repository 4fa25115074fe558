// One scheduler tick per interval across any number of replicas, and never two at once:
// a renewed claim while a tick runs, plus a SET NX marker for the interval slot it ran in.
import type { ClaimStore } from './claim-store.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

export interface TickLock {
  /**
   * Takes the right to run `job`'s tick for the interval slot containing `now`. Returns a release
   * function, or undefined when this slot already ran (or a tick is still running) elsewhere.
   */
  acquire(job: string, intervalMs: number, now: number): Promise<(() => Promise<void>) | undefined>;
}

export function createTickLock(client: RedisClient, keys: Keys, claims: ClaimStore): TickLock {
  return {
    async acquire(job, intervalMs, now) {
      const attempt = await claims.acquire(`scheduler:${job}`);
      if (!attempt.ok) return undefined;
      const running = attempt.claim;
      const slot = Math.floor(now / intervalMs);
      const ok = await client
        .set(keys.schedulerSlot(job, slot), String(now), {
          condition: 'NX',
          expiration: { type: 'PX', value: intervalMs * 2 },
        })
        .catch(async (err: unknown) => {
          await running.release();
          throw err;
        });
      if (ok !== 'OK') {
        await running.release();
        return undefined;
      }
      return () => running.release();
    },
  };
}
