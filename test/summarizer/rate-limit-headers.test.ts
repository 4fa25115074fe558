// Provider rate-limit headers as one pause: what is certain pauses, what cannot be parsed is unknown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_PAUSE_MS, parseRemaining, parseReset, providerPause } from '../../src/summarizer/rate-limit-headers.js';

const NOW = Date.parse('2024-03-01T00:00:00Z');

describe('rate-limit headers', () => {
  it('reads OpenAI durations, plain seconds, epoch seconds and dates', () => {
    assert.equal(parseReset('20ms', NOW), 20);
    assert.equal(parseReset('1s', NOW), 1000);
    assert.equal(parseReset('6m0s', NOW), 360_000);
    assert.equal(parseReset('1h2m3.5s', NOW), 3_723_500);
    assert.equal(parseReset('1.5', NOW), 1500);
    assert.equal(parseReset(String(NOW / 1000 + 30), NOW), 30_000);
    assert.equal(parseReset('2024-03-01T00:00:10Z', NOW), 10_000);
    assert.equal(parseReset('Fri, 01 Mar 2024 00:01:00 GMT', NOW), 60_000);
  });

  it('takes what cannot be parsed, zero and the past as unknown', () => {
    for (const v of [undefined, '', '-1', '0', '0s', 'soon', '1x', '2023-01-01T00:00:00Z', 'NaN', '1e3']) {
      assert.equal(parseReset(v, NOW), undefined, `reset ${String(v)}`);
    }
    for (const v of [undefined, '', '-1', '1.5', 'none', ' ']) assert.equal(parseRemaining(v), undefined, `remaining ${String(v)}`);
    assert.equal(parseRemaining('0'), 0);
    assert.equal(parseRemaining(' 42 '), 42);
  });

  it('pauses on remaining 0 with its reset, and on Retry-After of a 429 or 503', () => {
    assert.equal(providerPause(200, { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m0s' }, NOW), 60_000);
    assert.equal(providerPause(200, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-remaining-tokens': '10' }, NOW), 2000);
    assert.equal(providerPause(429, { 'retry-after': '3' }, NOW), 3000);
    assert.equal(providerPause(429, { 'retry-after-ms': '1500', 'retry-after': '3' }, NOW), 1500);
    assert.equal(providerPause(503, { 'retry-after': 'Fri, 01 Mar 2024 00:00:05 GMT' }, NOW), 5000);
    // The longest of what is asked.
    assert.equal(providerPause(429, { 'retry-after': '1', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '9s' }, NOW), 9000);
  });

  it("Azure's -1 and a 0 without reset are unknown: no pause", () => {
    assert.equal(providerPause(200, { 'x-ratelimit-remaining-tokens': '-1', 'x-ratelimit-reset-tokens': '10s' }, NOW), undefined);
    assert.equal(providerPause(200, { 'x-ratelimit-remaining-tokens': '0' }, NOW), undefined);
    assert.equal(providerPause(429, { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': 'later' }, NOW), undefined);
    assert.equal(providerPause(200, { 'x-ratelimit-remaining-tokens': '5', 'x-ratelimit-reset-tokens': '10s' }, NOW), undefined);
    // Retry-After on a success is not a rate-limit answer.
    assert.equal(providerPause(200, { 'retry-after': '5' }, NOW), undefined);
  });

  it('any header values: never negative, never NaN, never beyond the cap', () => {
    const value = fc.oneof(fc.string(), fc.integer({ min: -5, max: 1e6 }).map(String), fc.constantFrom('0', '-1', '1s', '6m0s', '20ms', '1e9', 'Infinity'));
    fc.assert(
      fc.property(fc.constantFrom(200, 429, 503), fc.dictionary(fc.constantFrom('retry-after', 'retry-after-ms', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'), value), (status, headers) => {
        const p = providerPause(status, headers, NOW);
        if (p === undefined) return;
        assert.ok(Number.isInteger(p) && p > 0 && p <= MAX_PAUSE_MS, `pause ${p}`);
      }),
      { numRuns: 500 },
    );
  });

  it('a remaining count other than exactly 0 never pauses, whatever its reset', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/^\s*0+\s*$/.test(s)), fc.string(), (remaining, reset) => {
        assert.equal(providerPause(200, { 'x-ratelimit-remaining-tokens': remaining, 'x-ratelimit-reset-tokens': reset }, NOW), undefined);
      }),
    );
  });
});
