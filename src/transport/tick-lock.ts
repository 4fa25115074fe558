// Keeps a job's scheduler ticks from overlapping across replicas: a tick runs only while it holds
// the job's claim in Redis (renewed while it runs, so a slow tick keeps it). Which interval slot
// runs at all is decided by the database (src/db/scheduler-ticks.ts claimSlot), which holds even
// when Redis has lost its keys.
import type { ClaimStore } from './claim-store.js';

export interface TickLock {
  /** Takes `job`'s tick claim; returns its release, or undefined while another replica holds it. */
  acquire(job: string): Promise<(() => Promise<void>) | undefined>;
}

export function createTickLock(claims: ClaimStore): TickLock {
  return {
    async acquire(job) {
      const attempt = await claims.acquire(`scheduler:${job}`);
      return attempt.ok ? () => attempt.claim.release() : undefined;
    },
  };
}
