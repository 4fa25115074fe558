// LLM_PRICES: the format, its errors, and what tokens cost at it (batch tokens at half).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { BATCH_PRICE_SHARE, costOf, parsePrices } from '../src/llm-prices.js';

test('prices per million tokens, input/output, per model', () => {
  const p = parsePrices(' gpt-4o-mini=0.15/0.60, gpt-4o=2.50/10 ,llama3:8b=0/0');
  assert.deepEqual([...p.entries()], [
    ['gpt-4o-mini', { input: 0.15, output: 0.6 }],
    ['gpt-4o', { input: 2.5, output: 10 }],
    ['llama3:8b', { input: 0, output: 0 }],
  ]);
  assert.equal(parsePrices(undefined).size, 0);
  assert.equal(parsePrices('').size, 0);
});

test('a bad entry is named, with what is expected', () => {
  for (const bad of ['gpt-4o=2.5', 'gpt-4o=a/b', '=1/2', 'gpt-4o=-1/2', 'gpt-4o=1e3/2', 'm=1/2/3', 'm=1/2,m=3/4']) {
    assert.throws(() => parsePrices(bad), /model=input\/output|priced twice/, bad);
  }
  assert.throws(
    () => loadConfig({ LLM_PRICES: 'gpt-4o=2.50' }),
    (err: unknown) => err instanceof ConfigError && /^Invalid LLM_PRICES: "gpt-4o=2.50" is not model=input\/output/.test(err.message),
  );
  assert.deepEqual([...loadConfig({ LLM_PRICES: 'm=1/2' }).llm.prices.keys()], ['m']);
});

test('cost: live tokens at the price, batch tokens at half, unpriced models named and left out', () => {
  assert.equal(BATCH_PRICE_SHARE, 0.5);
  const prices = parsePrices('a=1/2,b=10/20');
  const r = costOf(
    [
      { model: 'a', batch: false, inputTokens: 1_000_000, outputTokens: 500_000 }, // 1 + 1 = 2
      { model: 'a', batch: true, inputTokens: 2_000_000, outputTokens: 0 }, // 2 × ½ = 1
      { model: 'b', batch: true, inputTokens: 100_000, outputTokens: 100_000 }, // (1 + 2) × ½ = 1.5
      { model: 'c', batch: false, inputTokens: 300_000, outputTokens: 0 },
    ],
    prices,
  );
  assert.equal(r.cost, 4.5);
  assert.equal(r.liveCost, 7, 'the same tokens live: 2 + 2 + 3');
  assert.deepEqual(r.unpriced, ['c']);
  assert.equal(r.inputTokens, 3_400_000);
  assert.equal(r.outputTokens, 600_000);
  assert.equal(r.batchShare, 2_200_000 / 4_000_000);
  assert.deepEqual(r.models.map((m) => [m.model, m.cost, m.batchTokens]), [['a', 3, 2_000_000], ['b', 1.5, 200_000], ['c', undefined, 0]]);
  assert.equal(costOf([], prices).batchShare, 0);
});
