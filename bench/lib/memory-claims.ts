// An ablation, not a product: job claims kept in this process's memory instead of Redis. Still one
// run per job key at a time (within this process), with the ClaimStore contract the job runner
// expects, so the drain beside the real one shows what the claims' Redis round trips and scripts
// cost (issue 19, round 8). A fleet cannot use it: guarantee 2 needs the claim in Redis.
import type { Claim, ClaimAttempt, ClaimStore } from '../../src/transport/claim-store.js';

export function memoryClaims(): ClaimStore {
  const holders = new Map<string, string>();
  return {
    async acquire(jobKey: string, holder = ''): Promise<ClaimAttempt> {
      const heldBy = holders.get(jobKey);
      if (heldBy !== undefined) return { ok: false, heldBy };
      holders.set(jobKey, holder);
      let released = false;
      const claim: Claim = {
        jobKey,
        lost: false,
        onLost() {},
        async release() {
          if (released) return;
          released = true;
          holders.delete(jobKey);
        },
      };
      return { ok: true, claim };
    },
    held: () => holders.size,
    renew: async () => {},
    close: async () => {},
  };
}
