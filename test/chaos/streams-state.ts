// What the streams of a chaos run hold at the end: entries pending in the group, entries not yet
// read (lag), and the dead letters' data.
import { CONSUMER_GROUP } from '../../src/transport/keys.js';
import type { ChaosWorld } from './world.js';

export async function streamsState(world: ChaosWorld): Promise<{ pending: number; lag: number; dead: string[] }> {
  const c = await world.redisClient();
  const stream = `${world.channel}:stream`;
  const pending = (await c.sendCommand(['XPENDING', stream, CONSUMER_GROUP])) as unknown[];
  const groups = (await c.sendCommand(['XINFO', 'GROUPS', stream])) as unknown[][];
  let lag = 0;
  for (const g of groups) {
    const i = g.indexOf('lag');
    const v = i >= 0 ? g[i + 1] : null;
    // lag is nil when Redis cannot tell (after deletions): count it as read when nothing is pending.
    if (typeof v === 'number') lag += v;
  }
  const dead = (await c.sendCommand(['XRANGE', `${world.channel}:dead`, '-', '+'])) as [string, string[]][];
  return {
    pending: Number(pending[0] ?? 0),
    lag,
    dead: dead.map(([, fields]) => fields[fields.indexOf('data') + 1] ?? ''),
  };
}
