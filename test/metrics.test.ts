// The hot-path counters (TalliedCounter, the in-flight gauge) keep plain sums that prom-client
// reads when it collects: a scrape must show each count once, however often it is collected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TalliedCounter, jobsInFlight, jobsRunning, registry } from '../src/metrics.js';

const valueOf = async (c: TalliedCounter, labels: Record<string, string>) =>
  (await c.counter.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;

describe('TalliedCounter', () => {
  it('hands its sums to prom-client once, by label pair, across collections', async () => {
    const c = new TalliedCounter({ name: 'test_tallied_two_total', help: 'h', labelNames: ['type', 'outcome'] });
    c.add('daily', 'done');
    c.add('daily', 'done');
    c.add('daily', 'retry');
    c.add('monthly', 'done');
    assert.equal(await valueOf(c, { type: 'daily', outcome: 'done' }), 2);
    assert.equal(await valueOf(c, { type: 'daily', outcome: 'retry' }), 1);
    assert.equal(await valueOf(c, { type: 'monthly', outcome: 'done' }), 1);
    // Collected again with nothing new: the counts stay, not doubled.
    assert.equal(await valueOf(c, { type: 'daily', outcome: 'done' }), 2);
    c.add('daily', 'done');
    assert.equal(await valueOf(c, { type: 'daily', outcome: 'done' }), 3);
    assert.equal((await c.counter.get()).values.length, 3);
  });

  it('a one-label counter shows in the exposition with that label only', async () => {
    const c = new TalliedCounter({ name: 'test_tallied_one_total', help: 'h', labelNames: ['type'] });
    c.add('daily');
    c.add('daily');
    const text = await registry.getSingleMetricAsString('test_tallied_one_total');
    assert.match(text, /^test_tallied_one_total\{type="daily"\} 2$/m);
    assert.doesNotMatch(text, /outcome/);
  });

  it('registers in the process registry, which /metrics serves', () => {
    const c = new TalliedCounter({ name: 'test_tallied_reg_total', help: 'h', labelNames: ['type'] });
    assert.equal(registry.getSingleMetric('test_tallied_reg_total'), c.counter);
  });
});

describe('diary_jobs_in_flight', () => {
  it('reads the running count when collected', async () => {
    const before = jobsRunning.n;
    jobsRunning.n = before + 3;
    try {
      assert.equal((await jobsInFlight.get()).values[0]?.value, before + 3);
    } finally {
      jobsRunning.n = before;
    }
    assert.equal((await jobsInFlight.get()).values[0]?.value, before);
  });
});
