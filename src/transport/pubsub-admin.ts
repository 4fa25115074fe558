// Read-only facts about the Pub/Sub channel for `diary-events status`.
import type { Keys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

export interface PubSubStatus {
  channel: string;
  /** Subscribers listening on the channel now (PUBSUB NUMSUB). */
  subscribers: number;
}

export async function pubsubStatus(client: RedisClient, keys: Keys): Promise<PubSubStatus> {
  const reply = (await client.sendCommand(['PUBSUB', 'NUMSUB', keys.channel])) as [string, number];
  return { channel: keys.channel, subscribers: Number(reply[1] ?? 0) };
}
