// Key names: unchanged when unpartitioned (the ADR's wire), hash-tagged per partition otherwise,
// with a user's jobs always in one partition and claims grouped by slot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysFor, userHash } from '../../src/transport/keys.js';
import { crc16, partitionTags, slotOf } from '../../src/transport/slots.js';

const USER = '7C9E6679-7425-40DE-944B-E07FC1F90AE7';

describe('keys', () => {
  it('unpartitioned: the channel, stream and claim names stay as they were, one script group', () => {
    const k = keysFor('diary_events');
    assert.equal(k.partitioned, false);
    assert.deepEqual(k.partitions, [{ index: 0, tag: '', stream: 'diary_events:stream', channel: 'diary_events' }]);
    assert.equal(k.claim(`daily:${USER.toLowerCase()}:2024-03-01`), `diary_events:claim:daily:${USER.toLowerCase()}:2024-03-01`);
    assert.equal(k.slotGroup(k.claim('scheduler:daily')), k.slotGroup(k.claim(`daily:${USER}:2024-03-01`)));
  });

  it('partitioned: a user’s stream, channel and job claims share one hash tag; tick locks one of their own', () => {
    const k = keysFor('diary_events', { partitions: 8 });
    const p = k.partitionOf(USER);
    assert.equal(p, k.partitionOf(USER.toLowerCase()), 'case does not move a user');
    assert.equal(p.index, userHash(USER.toLowerCase()) % 8);
    assert.match(p.tag, new RegExp(`^p${p.index}(\\.\\d+)?$`));
    assert.equal(p.stream, `diary_events:{${p.tag}}:stream`);
    assert.equal(p.channel, `diary_events:{${p.tag}}`);
    const daily = k.claim(`daily:${USER.toLowerCase()}:2024-03-01`);
    const monthly = k.claim(`monthly:${USER.toLowerCase()}:2024-03`);
    assert.equal(k.slotGroup(daily), p.tag);
    assert.equal(k.slotGroup(monthly), p.tag);
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

  it('CRC16 is the cluster spec’s: its check value, and tag-only hashing', () => {
    assert.equal(crc16('123456789'), 0x31c3);
    assert.equal(slotOf('p5'), crc16('p5') % 16384);
  });

  it('partition tags spread evenly over the slot space, so 3 masters of equal ranges hold 8 and 64 within one', () => {
    for (const count of [3, 8, 64, 100]) {
      const tags = partitionTags(count);
      assert.equal(new Set(tags).size, count);
      tags.forEach((tag, i) => {
        const slot = slotOf(tag);
        assert.ok(slot >= Math.floor((i * 16384) / count) && slot < Math.floor(((i + 1) * 16384) / count), `${tag} of ${count} in its range (${slot})`);
      });
      // The ranges `redis-cli --cluster create` gives three masters.
      const perMaster = [0, 0, 0];
      for (const tag of tags) {
        const slot = slotOf(tag);
        const m = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
        perMaster[m] = (perMaster[m] ?? 0) + 1;
      }
      assert.ok(Math.max(...perMaster) - Math.min(...perMaster) <= 1, `${count} partitions per master ${perMaster}`);
    }
    assert.equal(partitionTags(1)[0], 'p0', 'a cluster with one partition keeps {p0}');
  });
});
