// LLM_MAX_TPM and the provider's pauses in a real Redis (127.0.0.1:6379): two gates on two
// connections are two subscribers sharing one budget. Time is a fake clock (the script takes its
// `now`), so refills and pauses are stepped, not waited for.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TransientJobError } from '../../src/errors/job-errors.js';
import { createLogger } from '../../src/logger.js';
import { keysFor } from '../../src/transport/keys.js';
import { connectRedis, type RedisClient } from '../../src/transport/redis-connection.js';
import { scriptRunner, type ScriptRunner } from '../../src/transport/scripts.js';
import { createTokenBudget, type LlmTokenGate, type TokenBudgetOptions } from '../../src/transport/token-budget.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { llmTokenBudgetWaiting } from '../../src/metrics.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = createLogger({ level: 'silent' });
const never = new AbortController().signal;

/** Lets real Redis replies arrive (the fake clock only runs timers). */
const io = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Whether `p` settled by now, after letting Redis answer. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await io();
  return done;
}

/** Steps the clock until `p` settles (each step lets Redis answer). */
async function stepUntil(clock: FakeClock, p: Promise<unknown>, stepMs: number, maxSteps = 200): Promise<number> {
  const start = clock.now();
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < maxSteps && !done; i++) {
    await io();
    if (!done) await clock.advance(stepMs);
  }
  assert.ok(done, 'still waiting after the steps');
  return clock.now() - start;
}

describe('token budget (LLM_MAX_TPM) shared through Redis', () => {
  let a: RedisClient;
  let b: RedisClient;
  const channels: string[] = [];
  before(async () => {
    [a, b] = await Promise.all([connectRedis({ url: REDIS_URL, role: 'test-a', logger: quiet }), connectRedis({ url: REDIS_URL, role: 'test-b', logger: quiet })]);
  });
  after(async () => {
    for (const ch of channels) {
      const keys = await a.keys(`{${ch}:llm}:*`);
      if (keys.length > 0) await a.del(keys);
    }
    await Promise.all([a.close(), b.close()]);
  });

  /** Two subscribers' gates on one channel, one fake clock. */
  function fleet(options: TokenBudgetOptions = {}): { one: LlmTokenGate; two: LlmTokenGate; clock: FakeClock } {
    const channel = `test:tokens:${randomUUID()}`;
    channels.push(channel);
    const clock = new FakeClock(1_700_000_000_000);
    const keys = keysFor(channel);
    return {
      one: createTokenBudget(scriptRunner(a), keys, { ...options, clock }),
      two: createTokenBudget(scriptRunner(b), keys, { ...options, clock }),
      clock,
    };
  }

  it('one bucket for both: what one reserved the other cannot, until it refills', async () => {
    // 6000 per minute = 100 per second; capacity 300.
    const { one, two, clock } = fleet({ tokensPerMinute: 6000, burst: 300 });
    await one.acquire('e', 300, never);
    const waiting = two.acquire('e', 200, never);
    assert.equal(await isSettled(waiting), false, 'the second subscriber waits: the bucket is shared');
    const waited = await stepUntil(clock, waiting, 100);
    // 200 tokens at 100/s: two seconds (plus the jitter of one nap).
    assert.ok(waited >= 2000 && waited <= 2200, `waited ${waited} ms`);
  });

  it('the correction gives back what the provider did not use, to every subscriber', async () => {
    const { one, two } = fleet({ tokensPerMinute: 6000, burst: 1000 });
    const r = await one.acquire('e', 1000, never);
    await r.settle(250);
    // 750 came back: the other subscriber gets 700 at once, without the clock moving.
    assert.equal(await isSettled(two.acquire('e', 700, never)), true);
  });

  it('no usage reported: the estimate stands', async () => {
    const { one, two } = fleet({ tokensPerMinute: 6000, burst: 1000 });
    const r = await one.acquire('e', 1000, never);
    await r.settle(undefined);
    assert.equal(await isSettled(two.acquire('e', 700, never)), false);
  });

  it('a call more than used is charged afterwards', async () => {
    const { one, two, clock } = fleet({ tokensPerMinute: 6000, burst: 1000 });
    const r = await one.acquire('e', 100, never);
    await r.settle(1100); // 1000 beyond the estimate: the bucket is at -100
    const waiting = two.acquire('e', 100, never);
    const waited = await stepUntil(clock, waiting, 100);
    assert.ok(waited >= 2000, `waited ${waited} ms, not the 2 s the debt and the call need`);
  });

  it('a call larger than the bucket goes once the bucket is full, not never', async () => {
    const { one, clock } = fleet({ tokensPerMinute: 6000, burst: 500 });
    await one.acquire('e', 100, never);
    const big = one.acquire('e', 5000, never);
    assert.equal(await isSettled(big), false);
    await stepUntil(clock, big, 100);
    // It left the bucket in debt: the next call waits for the debt to be paid.
    const next = one.acquire('e', 1, never);
    assert.equal(await isSettled(next), false);
  });

  it("a provider's pause stops every subscriber's calls to that endpoint until it ends, and only that endpoint", async () => {
    const { one, two, clock } = fleet();
    await one.pause('endpoint-A', 30_000);
    const blocked = two.acquire('endpoint-A', 10, never);
    assert.equal(await isSettled(blocked), false, 'paused on the other subscriber too');
    assert.equal(await isSettled(two.acquire('endpoint-B', 10, never)), true, 'another endpoint or key is not paused');
    // A shorter pause later does not cut the longer one short.
    await two.pause('endpoint-A', 1000);
    const waited = await stepUntil(clock, blocked, 1000);
    assert.ok(waited >= 30_000 && waited <= 32_000, `waited ${waited} ms`);
  });

  it('without a token budget the calls of one turn to one endpoint ask Redis once whether it is paused', async () => {
    const channel = `test:tokens:${randomUUID()}`;
    channels.push(channel);
    const real = scriptRunner(a);
    let calls = 0;
    const counting: ScriptRunner = { run: (script, keys, args) => (calls++, real.run(script, keys, args)) };
    const clock = new FakeClock(1_700_000_000_000);
    const gate = createTokenBudget(counting, keysFor(channel), { clock });
    await Promise.all([gate.acquire('e', 10, never), gate.acquire('e', 10, never), gate.acquire('e', 10, never), gate.acquire('f', 10, never)]);
    assert.equal(calls, 2, 'one question per endpoint');
    await gate.pause('e', 5000);
    calls = 0;
    const waiting = [gate.acquire('e', 10, never), gate.acquire('e', 10, never)];
    assert.equal(await isSettled(gate.acquire('f', 10, never)), true, 'the other endpoint is not paused');
    for (const w of waiting) assert.equal(await isSettled(w), false, 'every call of the turn sees the pause');
    const waited = await stepUntil(clock, Promise.all(waiting), 500);
    assert.ok(waited >= 5000, `waited ${waited} ms`);
  });

  it('a waiter stops at once when its job is aborted', async () => {
    const { one, two } = fleet();
    await one.pause('e', 60_000);
    const ac = new AbortController();
    const waiting = two.acquire('e', 1, ac.signal);
    await io();
    ac.abort(new Error('job timed out'));
    await assert.rejects(waiting, /job timed out/);
  });

  it('diary_llm_token_budget_waiting counts the calls waiting for tokens, until they get through or are aborted', async () => {
    const waitingNow = async () => (await llmTokenBudgetWaiting.get()).values.reduce((n, v) => n + v.value, 0);
    const base = await waitingNow();
    const { one, two, clock } = fleet({ tokensPerMinute: 6000, burst: 300 });
    await one.acquire('e', 300, never);
    assert.equal(await waitingNow(), base, 'a call that got its tokens at once never waited');
    const first = two.acquire('e', 200, never);
    const ac = new AbortController();
    const second = one.acquire('e', 200, ac.signal);
    await io();
    assert.equal(await waitingNow(), base + 2, 'both wait for the empty bucket');
    ac.abort(new Error('job timed out'));
    await assert.rejects(second, /job timed out/);
    assert.equal(await waitingNow(), base + 1, 'the aborted one no longer waits');
    await stepUntil(clock, first, 100);
    assert.equal(await waitingNow(), base, 'the other got through');
  });

  it('Redis unreachable: a transient job error, not a call without budget', async () => {
    const c = await connectRedis({ url: REDIS_URL, role: 'test-c', logger: quiet });
    const gate = createTokenBudget(scriptRunner(c), keysFor(`test:tokens:${randomUUID()}`), { tokensPerMinute: 1000 });
    await c.close();
    await assert.rejects(gate.acquire('e', 1, never), (err: unknown) => err instanceof TransientJobError);
    // Pauses are best effort: a failed one does not fail the call that saw it.
    await gate.pause('e', 1000);
  });
});
