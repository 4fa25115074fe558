// Job claims in Redis: SET NX with a lease TTL, renewed in one batch while jobs run, released by
// compare-and-delete. One claim per job key means one subscriber works on a job at a time. Claims
// taken or released in the same event-loop turn share one script call (coalesce.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { coalesce } from '../coalesce.js';
import type { Keys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { loadScript, runScript } from './scripts.js';

const ACQUIRE = loadScript('acquire-claims');
const RENEW = loadScript('renew-claims');
const RELEASE = loadScript('release-claims');

export interface Claim {
  readonly jobKey: string;
  /** True once the claim is lost (expired or taken): the job must stop and write nothing. */
  readonly lost: boolean;
  /**
   * Calls `fn` when the claim is lost. A plain callback rather than an AbortSignal per claim:
   * signals cost more than the rest of a no-op job on the hot path.
   */
  onLost(fn: () => void): void;
  release(): Promise<void>;
}

export interface ClaimStore {
  /** Takes the job's claim, or returns undefined when someone else holds it. */
  acquire(jobKey: string): Promise<Claim | undefined>;
  /** Claims held now. */
  held(): number;
  close(): Promise<void>;
}

export interface ClaimStoreOptions {
  client: RedisClient;
  keys: Keys;
  /** JOB_LEASE: a claim not renewed for this long expires. */
  leaseMs: number;
  logger: Logger;
}

interface Held {
  key: string;
  token: string;
  lost: boolean;
  onLost: (() => void) | undefined;
}

export function createClaimStore(options: ClaimStoreOptions): ClaimStore {
  const { client, keys, leaseMs, logger } = options;
  const held = new Map<string, Held>();
  // Renew three times per lease so one slow round trip cannot let a claim lapse.
  const timer = setInterval(() => void renewAll(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  let renewing = false;
  const take = coalesce(async (claims: readonly { key: string; token: string }[]) =>
    runScript<number[]>(client, ACQUIRE, claims.map((c) => c.key), [leaseMs, ...claims.map((c) => c.token)]),
  );
  const give = coalesce(async (claims: readonly { key: string; token: string }[]) =>
    runScript<number[]>(client, RELEASE, claims.map((c) => c.key), claims.map((c) => c.token)),
  );

  async function renewAll(): Promise<void> {
    if (renewing || held.size === 0) return;
    renewing = true;
    const entries = [...held.values()];
    try {
      const results = await runScript<number[]>(
        client,
        RENEW,
        entries.map((e) => e.key),
        [leaseMs, ...entries.map((e) => e.token)],
      );
      entries.forEach((e, i) => {
        if (results[i] === 1) return;
        logger.warn({ claim: e.key }, 'claim lost; aborting its job');
        held.delete(e.key);
        e.lost = true;
        e.onLost?.();
      });
    } catch (err) {
      // Redis unreachable: the claims may still be valid; the job's own writes are guarded by
      // versions, and the next renewal will tell.
      logger.debug({ err: (err as Error).message }, 'claim renewal failed');
    } finally {
      renewing = false;
    }
  }

  return {
    async acquire(jobKey) {
      const key = keys.claim(jobKey);
      if (held.has(key)) return undefined;
      const token = randomUUID();
      if ((await take({ key, token })) !== 1) return undefined;
      const entry: Held = { key, token, lost: false, onLost: undefined };
      held.set(key, entry);
      return {
        jobKey,
        get lost() {
          return entry.lost;
        },
        onLost(fn) {
          entry.onLost = fn;
        },
        release: async () => {
          if (held.get(key) !== entry) return;
          held.delete(key);
          await give({ key, token }).catch((err: Error) =>
            logger.debug({ claim: key, err: err.message }, 'claim release failed; it expires by itself'),
          );
        },
      };
    },
    held: () => held.size,
    async close() {
      clearInterval(timer);
    },
  };
}
