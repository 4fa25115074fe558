// Key names: unchanged when unpartitioned (the ADR's wire), hash-tagged per partition otherwise,
// with a user's jobs always in one partition and claims grouped by slot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysFor, userHash } from '../../src/transport/keys.js';

const USER = '7C9E6679-7425-40DE-944B-E07FC1F90AE7';

describe('keys', () => {
  it('unpartitioned: the channel, stream and claim names stay as they were, one script group', () => {
    const k = keysFor('diary_events');
    assert.equal(k.partitioned, false);
    assert.deepEqual(k.partitions, [{ index: 0, stream: 'diary_events:stream', channel: 'diary_events' }]);
    assert.equal(k.claim(`daily:${USER.toLowerCase()}:2024-03-01`), `diary_events:claim:daily:${USER.toLowerCase()}:2024-03-01`);
    assert.equal(k.slotGroup(k.claim('scheduler:daily')), k.slotGroup(k.claim(`daily:${USER}:2024-03-01`)));
  });

  it('partitioned: a user’s stream, channel and job claims share one hash tag; tick locks one of their own', () => {
    const k = keysFor('diary_events', { partitions: 8 });
    const p = k.partitionOf(USER);
    assert.equal(p, k.partitionOf(USER.toLowerCase()), 'case does not move a user');
    assert.equal(p.index, userHash(USER.toLowerCase()) % 8);
    assert.equal(p.stream, `diary_events:{p${p.index}}:stream`);
    assert.equal(p.channel, `diary_events:{p${p.index}}`);
    const daily = k.claim(`daily:${USER.toLowerCase()}:2024-03-01`);
    const monthly = k.claim(`monthly:${USER.toLowerCase()}:2024-03`);
    assert.equal(k.slotGroup(daily), `p${p.index}`);
    assert.equal(k.slotGroup(monthly), `p${p.index}`);
    assert.equal(k.slotGroup(k.claim('scheduler:daily')), 'tick');
    assert.equal(k.dead, 'diary_events:dead');
  });

  it('the hash is stable across releases and spreads users evenly', () => {
    assert.equal(userHash('00000000-0000-0000-0000-000000000000'), userHash('00000000-0000-0000-0000-000000000000'));
    assert.equal(userHash('a'), 0xe40c292c, 'FNV-1a of "a"');
    const k = keysFor('c', { partitions: 8 });
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) {
      const p = k.partitionOf(`${i.toString(16).padStart(8, '0')}-7425-40de-944b-e07fc1f90ae7`).index;
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const n of counts) assert.ok(n > 800 && n < 1200, `even spread (${counts})`);
  });

  it('a cluster tags keys even with one partition', () => {
    const k = keysFor('diary_events', { cluster: true });
    assert.equal(k.partitioned, true);
    assert.equal(k.partitions[0]?.stream, 'diary_events:{p0}:stream');
  });
});
