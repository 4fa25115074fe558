// Job claims in Redis: SET NX with a lease TTL, renewed in one batch while jobs run, released by
// compare-and-delete. One claim per job key means one subscriber works on a job at a time. Claims
// taken or released in the same event-loop turn share one script call (coalesce.ts).
//
// A script's reply can come back after later commands ran (a NOSCRIPT retry, a reconnect), so
// every late answer is applied to the very claim it was about — never to whatever claim holds
// the same job key by then.
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { coalesceAllBy, coalesceBy } from '../coalesce.js';
import type { Logger } from '../logger.js';
import type { Keys } from './keys.js';
import { loadScript, type ScriptRunner } from './scripts.js';

const ACQUIRE = loadScript('acquire-claims');
const RENEW = loadScript('renew-claims');
const RELEASE = loadScript('release-claims');
const RELEASED: Promise<void> = Promise.resolve();

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

/** A claim taken, or who holds it: the `holder` its owner named (undefined when unknown). */
export type ClaimAttempt = { ok: true; claim: Claim } | { ok: false; heldBy: string | undefined };

export interface ClaimStore {
  /**
   * Takes the job's claim for `holder` (a delivery id, say), or answers who holds it. Telling holders
   * apart matters: a claim still held by this very delivery's earlier run (its subscriber died)
   * is not another delivery doing the job.
   */
  acquire(jobKey: string, holder?: string): Promise<ClaimAttempt>;
  /** Claims held now. */
  held(): number;
  /** Renews every held claim now (the timer does it every leaseMs / 3). */
  renew(): Promise<void>;
  close(): Promise<void>;
}

export interface ClaimStoreOptions {
  scripts: ScriptRunner;
  keys: Keys;
  /** JOB_LEASE: a claim not renewed for this long expires. */
  leaseMs: number;
  logger: Logger;
  /** @defaultValue systemClock */
  clock?: Clock;
}

/** The holder named in a claim token (`<prefix>.<n>:<holder>`); undefined for a token of another shape. */
function holderOf(token: number | string): string | undefined {
  if (typeof token !== 'string') return undefined;
  const colon = token.indexOf(':');
  return colon < 0 ? undefined : token.slice(colon + 1);
}

/**
 * One claim held: the store's record and the job's handle in one object, with methods rather than
 * closures per claim (a no-op job's claim made five objects and three closures; issue 19, round 7).
 */
class HeldClaim implements Claim {
  lost = false;
  #onLost: (() => void) | undefined;
  constructor(
    readonly jobKey: string,
    readonly key: string,
    readonly token: string,
    readonly holder: string,
    private readonly store: { release(claim: HeldClaim): Promise<void> },
  ) {}
  onLost(fn: () => void): void {
    this.#onLost = fn;
  }
  /** The claim is gone (expired, or taken by another holder): tell the job once. */
  markLost(): void {
    this.lost = true;
    this.#onLost?.();
  }
  release(): Promise<void> {
    return this.store.release(this);
  }
}

export function createClaimStore(options: ClaimStoreOptions): ClaimStore {
  const { scripts, keys, leaseMs, logger } = options;
  const clock = options.clock ?? systemClock;
  // By identity, not by key: a Map keyed by the claim's key string cost more per job than the rest
  // of the store (hashing a fresh key string three times; issue 19, round 8). A second claim of a
  // key this process holds is refused by Redis itself, answering the holder as for any other.
  const held = new Set<HeldClaim>();
  // Tokens need only be unique across the fleet, not secret: one random prefix per store and a
  // counter cost less per claim than a UUID each. No ':' in the prefix (holderOf splits there).
  const prefix = randomUUID();
  let issued = 0;
  let renewing: Promise<void> | undefined;
  let closed = false;
  let timer: TimerHandle | undefined;
  // One batch per slot group (keys.ts): the claims of one turn go out as one script call per
  // partition, and no script touches keys of two slots.
  type Item = { key: string; token: string };
  const group = (c: Item) => keys.slotGroup(c.key);
  const take = coalesceBy(group, async (claims: readonly Item[]) =>
    scripts.run<Array<number | string>>(ACQUIRE, claims.map((c) => c.key), [leaseMs, ...claims.map((c) => c.token)]),
  );
  // Nobody reads a release's answer (a claim not ours any more is left alone by the script), and a
  // failed one only lets the claim expire by its lease: one promise per batch, its failure logged once.
  const give = coalesceAllBy(group, async (claims: readonly Item[]) => {
    try {
      await scripts.run<number[]>(RELEASE, claims.map((c) => c.key), claims.map((c) => c.token));
    } catch (err) {
      logger.debug({ claims: claims.length, err: (err as Error).message }, 'claim release failed; the claims expire by themselves');
    }
  });

  async function renewAll(): Promise<void> {
    const groups = new Map<string, HeldClaim[]>();
    for (const e of held) {
      const g = keys.slotGroup(e.key);
      const list = groups.get(g);
      if (list) list.push(e);
      else groups.set(g, [e]);
    }
    await Promise.all([...groups.values()].map(renewGroup));
  }

  async function renewGroup(entries: HeldClaim[]): Promise<void> {
    try {
      const results = await scripts.run<number[]>(RENEW, entries.map((e) => e.key), [leaseMs, ...entries.map((e) => e.token)]);
      entries.forEach((e, i) => {
        // Released meanwhile (and maybe claimed again, under a new token): this answer is stale.
        if (results[i] === 1 || !held.has(e)) return;
        logger.warn({ claim: e.key }, 'claim lost; aborting its job');
        held.delete(e);
        e.markLost();
      });
    } catch (err) {
      // Redis unreachable: the claims may still be valid; the job's own writes are guarded by
      // versions, and the next renewal will tell.
      logger.debug({ err: (err as Error).message }, 'claim renewal failed');
    }
  }

  const renew = () =>
    (renewing ??= renewAll().finally(() => {
      renewing = undefined;
    }));

  // Three renewals per lease, so one slow round trip cannot let a claim lapse.
  const every = Math.max(100, Math.floor(leaseMs / 3));
  const arm = () => {
    if (closed) return;
    timer = clock.setTimeout(() => {
      void renew().finally(arm);
    }, every);
    timer.unref();
  };
  arm();

  const releaser = {
    release(claim: HeldClaim): Promise<void> {
      return held.delete(claim) ? give(claim) : RELEASED;
    },
  };

  return {
    async acquire(jobKey, holder = '') {
      const key = keys.claim(jobKey);
      // Made before the answer, as the batch's item too: one object per attempt.
      const claim = new HeldClaim(jobKey, key, `${prefix}.${(issued++).toString(36)}:${holder}`, holder, releaser);
      const answer = await take(claim);
      if (answer !== 1) return { ok: false, heldBy: holderOf(answer) };
      held.add(claim);
      return { ok: true, claim };
    },
    held: () => held.size,
    renew,
    async close() {
      closed = true;
      clock.clearTimeout(timer);
    },
  };
}
