// The claim store against late answers: a renewal answered after its claim was released and the
// job claimed again must not touch the new claim; a claim that vanished is reported lost. A fake
// of the claim scripts holds replies on demand; a simulated clock drives the renewal timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { createClaimStore, type Claim, type ClaimStore } from '../../src/transport/claim-store.js';
import { keysFor } from '../../src/transport/keys.js';
import { FakeClaimScripts } from '../helpers/fake-claim-scripts.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';

const logger = createLogger({ level: 'silent' });
const keys = keysFor('claims_race');
const LEASE = 3000;

async function claimOf(store: ClaimStore, jobKey: string, holder?: string): Promise<Claim> {
  const attempt = await store.acquire(jobKey, holder);
  assert.ok(attempt.ok, `${jobKey} could be claimed`);
  return attempt.claim;
}

test('a renewal answered after release and re-claim leaves the new claim held and renewed', async () => {
  const scripts = new FakeClaimScripts();
  const clock = new FakeClock();
  const store = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
  const first = await claimOf(store, 'daily:u:2024-03-01');
  scripts.holdNext('renew-claims');
  const renewal = store.renew(); // in flight: it carries the first claim's token
  await settle();
  assert.equal(scripts.heldCalls, 1);
  await first.release();
  const second = await claimOf(store, 'daily:u:2024-03-01');
  scripts.releaseHeld(); // the stale renewal now finds the first token gone and answers 0
  await renewal;
  assert.equal(store.held(), 1, 'the new claim is still held');
  assert.equal(second.lost, false);
  // And it keeps being renewed: the next renewal carries the second claim's token.
  const before = scripts.calls.get('renew-claims') ?? 0;
  await clock.advance(LEASE / 3);
  assert.equal(scripts.calls.get('renew-claims'), before + 1);
  assert.equal(second.lost, false);
  await second.release();
  assert.equal(scripts.owners.size, 0);
  await store.close();
});

test('a claim that vanished (its lease lapsed, or Redis lost it) is reported lost once, at the next renewal', async () => {
  const scripts = new FakeClaimScripts();
  const clock = new FakeClock();
  const store = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
  const claim = await claimOf(store, 'monthly:u:2024-02');
  const kept = await claimOf(store, 'daily:u:2024-02-29');
  let lostCalls = 0;
  claim.onLost(() => lostCalls++);
  scripts.owners.delete(keys.claim('monthly:u:2024-02'));
  await clock.advance(LEASE / 3);
  assert.equal(claim.lost, true);
  assert.equal(lostCalls, 1);
  assert.equal(kept.lost, false);
  assert.equal(store.held(), 1);
  await clock.advance(LEASE);
  assert.equal(lostCalls, 1, 'reported once');
  await kept.release();
  await store.close();
  assert.equal(clock.pending, 0, 'close stops the renewal timer');
});

test('a renewal that fails (Redis away) loses nothing: the claims stay held and the next round renews them', async () => {
  const scripts = new FakeClaimScripts();
  const clock = new FakeClock();
  const store = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
  const claim = await claimOf(store, 'daily:u:2024-01-31');
  const real = scripts.run.bind(scripts);
  let failures = 1;
  scripts.run = async (script, k, a) => {
    if (script.name === 'renew-claims' && failures-- > 0) throw new Error('connection lost');
    return real(script, k, a);
  };
  await clock.advance(LEASE / 3);
  assert.equal(claim.lost, false);
  await clock.advance(LEASE / 3);
  assert.equal(claim.lost, false);
  assert.equal(store.held(), 1);
  await claim.release();
  await store.close();
});

test('a claim held elsewhere answers its holder, so a delivery can tell its own dead run from another delivery', async () => {
  const scripts = new FakeClaimScripts();
  const clock = new FakeClock();
  const a = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
  const b = createClaimStore({ scripts, keys, leaseMs: LEASE, logger, clock });
  const claim = await claimOf(a, 'daily:u:2024-02-28', '1709164800000-0');
  assert.deepEqual(await b.acquire('daily:u:2024-02-28', '1709164800000-0'), { ok: false, heldBy: '1709164800000-0' });
  assert.deepEqual(await b.acquire('daily:u:2024-02-28', '1709164800001-0'), { ok: false, heldBy: '1709164800000-0' });
  assert.deepEqual(await a.acquire('daily:u:2024-02-28', 'x'), { ok: false, heldBy: '1709164800000-0' }, 'held in this process too');
  // The refused attempt is no claim of a's: a holds one, and renewing it finds it still a's.
  assert.equal(a.held(), 1);
  await clock.advance(LEASE / 3);
  await settle();
  assert.equal(claim.lost, false);
  assert.equal(a.held(), 1);
  await a.close();
  await b.close();
});
