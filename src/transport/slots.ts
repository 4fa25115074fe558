// Redis Cluster's key slots (CRC16/XMODEM of the key's hash tag, mod 16384, as the cluster spec
// defines it), and partition hash tags chosen by slot, so partitions spread evenly over masters.
//
// Why choose tags at all: `{p0}`…`{p7}` fall where CRC16 puts them; on a fresh 3-master cluster
// (slots split in three equal ranges) they landed 2/2/4, which no hashing of users can balance.
// Partition i of P gets instead the first of `pi`, `pi.1`, `pi.2`, … whose slot lies in the i-th of
// P equal slot ranges. Partitions then sit in slot order, evenly spaced, so any cluster whose masters
// own equal contiguous ranges (what `redis-cli --cluster create` and `--cluster rebalance` give)
// holds ⌊P/N⌋ or ⌈P/N⌉ of them per master. The choice depends only on i and P: every process and
// release names the same keys.

export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16/XMODEM of UTF-8 bytes (the cluster spec's check value: "123456789" → 0x31c3). */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The slot of a hash tag's content (or of a key without a tag). */
export function slotOf(tag: string): number {
  return crc16(tag) % CLUSTER_SLOTS;
}

const cache = new Map<number, readonly string[]>();

/** The hash tags (without braces) of `count` partitions, partition i's slot in the i-th of `count` equal ranges. */
export function partitionTags(count: number): readonly string[] {
  let tags = cache.get(count);
  if (!tags) {
    tags = Array.from({ length: count }, (_, i) => {
      const lo = Math.floor((i * CLUSTER_SLOTS) / count);
      const hi = Math.floor(((i + 1) * CLUSTER_SLOTS) / count);
      for (let k = 0; ; k++) {
        const tag = k === 0 ? `p${i}` : `p${i}.${k}`;
        const slot = slotOf(tag);
        if (slot >= lo && slot < hi) return tag;
      }
    });
    cache.set(count, tags);
  }
  return tags;
}
