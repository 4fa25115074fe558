// What the streams of a chaos run hold at the end: entries pending in the group, entries not yet
// read (lag), and the dead letters' data.
import { CONSUMER_GROUP } from '../../src/transport/keys.js';
import type { ChaosWorld } from './world.js';

export async function streamsState(world: ChaosWorld): Promise<{ pending: number; lag: number; dead: string[] }> {
  const c = await world.redisClient();
  const stream = `${world.channel}:stream`;
  const exists = Number(await c.sendCommand(['EXISTS', stream])) > 0;
  const pending = exists ? ((await c.sendCommand(['XPENDING', stream, CONSUMER_GROUP])) as unknown[]) : [0];
  const groups = exists ? ((await c.sendCommand(['XINFO', 'GROUPS', stream])) as unknown[]) : [];
  let lag = 0;
  for (const g of groups) {
    const v = field(g, 'lag');
    // lag is nil when Redis cannot tell (after deletions): count it as read when nothing is pending.
    if (typeof v === 'number') lag += v;
  }
  const dead = (await c.sendCommand(['XRANGE', `${world.channel}:dead`, '-', '+'])) as [string, unknown][];
  return {
    pending: Number(pending[0] ?? 0),
    lag,
    dead: dead.map(([, fields]) => String(field(fields, 'data') ?? '')),
  };
}

/** A field of a reply that is a flat [name, value, …] array, a Map or an object. */
function field(reply: unknown, name: string): unknown {
  if (Array.isArray(reply)) {
    const i = reply.findIndex((x) => String(x) === name);
    return i >= 0 ? reply[i + 1] : undefined;
  }
  if (reply instanceof Map) return reply.get(name);
  if (typeof reply === 'object' && reply !== null) return (reply as Record<string, unknown>)[name];
  return undefined;
}
