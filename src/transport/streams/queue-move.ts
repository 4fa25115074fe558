// `diary-events migrate-queue`: moves the jobs still waiting in one Redis's job streams (never
// delivered, or delivered and not acknowledged) into the queue the settings name now — a cluster,
// or other QUEUE_PARTITIONS — by publishing each through that queue's own transport, so every job
// lands in its user's partition and lane, and on a cluster a replica has it (WAIT) before the source
// entry is acknowledged and deleted. Copy first, delete after: a move interrupted at any point and
// run again repeats a few jobs (harmless: claims and the up-to-date check) and loses none.
//
// Only entries that existed when a stream's move began are taken (up to its last id then), so a
// source that is also the destination (repartitioning one Redis) does not chase its own copies.
// Dead letters stay where they are: replaying them is the operator's call (`dlq replay`).
import type { Logger } from '../../logger.js';
import { parseMessage, type JobMessage } from '../../messages.js';
import { FLEET_TTL_MS } from '../open-messaging.js';
import { createFleet } from '../fleet.js';
import { keysFor, keysOfPartition, urgentLane, type Keys } from '../keys.js';
import { closeRedis, connectRedis, type RedisConn } from '../redis-connection.js';
import { scriptRunner } from '../scripts.js';
import { asArray, asString, emptyIfMissing, fieldMap } from './stream-commands.js';

export interface QueueMoveOptions {
  /** The single Redis the jobs wait in now. */
  fromUrl: string;
  /** DIARY_CHANNEL (the same on both sides). */
  channel: string;
  /** QUEUE_PARTITIONS the source ran with. */
  fromPartitions: number;
  /** Publishes one job into the destination (its streams transport's publish). */
  publish(message: JobMessage): Promise<void>;
  logger: Logger;
  /** Move although processes still report to the source's fleet. @defaultValue false */
  force?: boolean;
}

export interface QueueMoveResult {
  /** Jobs published to the destination and removed from the source. */
  moved: number;
  /** Of those, delivered to a subscriber once and never acknowledged. */
  pending: number;
  /** Entries no subscriber would accept (not a valid job): removed, not published. */
  invalid: number;
  /** Entries of the source's dead-letter stream, left in place. */
  deadLetters: number;
  /** Source streams that held entries to move. */
  streams: number;
}

/** Processes still attached to the source: moving under them would race their reads and acks. */
export class SourceInUseError extends Error {
  override readonly name = 'SourceInUseError';
}

const PAGE = 500;

/** The group's last delivered id, or undefined when the stream or the group does not exist. */
async function lastDelivered(client: RedisConn, keys: Keys): Promise<string | undefined> {
  const groups = asArray(await emptyIfMissing(() => client.sendCommand(['XINFO', 'GROUPS', keys.stream])));
  const group = groups.map(fieldMap).find((g) => asString(g.name) === keys.group);
  return group ? asString(group['last-delivered-id']) : undefined;
}

/** Entry ids delivered and not acknowledged, oldest first, up to `end`. */
async function pendingIds(client: RedisConn, keys: Keys, end: string): Promise<string[]> {
  const ids: string[] = [];
  let start = '-';
  for (;;) {
    const rows = asArray(await emptyIfMissing(() => client.sendCommand(['XPENDING', keys.stream, keys.group, start, end, String(PAGE)])));
    const page = rows.map((r) => asString(asArray(r)[0])).filter((id): id is string => id !== undefined);
    ids.push(...page);
    if (page.length < PAGE) return ids;
    start = `(${page[page.length - 1] as string}`;
  }
}

/** [id, data] of the entries from `start` (inclusive, or exclusive with '(') to `end`. */
async function* entries(client: RedisConn, keys: Keys, start: string, end: string): AsyncGenerator<[string, string | undefined][]> {
  let from = start;
  for (;;) {
    const rows = asArray(await client.sendCommand(['XRANGE', keys.stream, from, end, 'COUNT', String(PAGE)]));
    const page = rows.map((r): [string, string | undefined] => {
      const [id, fields] = asArray(r);
      return [asString(id) ?? '', asString(fieldMap(fields).data)];
    });
    if (page.length > 0) yield page;
    if (page.length < PAGE) return;
    from = `(${(page[page.length - 1] as [string, unknown])[0]}`;
  }
}

export async function moveQueue(options: QueueMoveOptions): Promise<QueueMoveResult> {
  const { logger } = options;
  const client = await connectRedis({ url: options.fromUrl, role: 'migrate-source', logger });
  const result: QueueMoveResult = { moved: 0, pending: 0, invalid: 0, deadLetters: 0, streams: 0 };
  try {
    const keys = keysFor(options.channel, { partitions: options.fromPartitions });
    const live = await createFleet(scriptRunner(client), keys, FLEET_TTL_MS).members();
    if (live.length > 0 && options.force !== true) {
      throw new SourceInUseError(
        `${live.length} process(es) still report to the source (${live.map((m) => `${m.role} ${m.host}/${m.pid}`).join(', ')}): stop them first, or pass --force`,
      );
    }
    const lanes = [keys, urgentLane(keys)].flatMap((lane) => lane.partitions.map((p) => keysOfPartition(lane, p)));
    for (const k of lanes) {
      const last = asArray(await client.sendCommand(['XREVRANGE', k.stream, '+', '-', 'COUNT', '1']));
      const end = asString(asArray(last[0])[0]);
      if (end === undefined) continue; // no stream, or an empty one
      const delivered = await lastDelivered(client, k);
      const pending = delivered === undefined ? [] : await pendingIds(client, k, end);
      let moved = 0;
      const move = async (page: [string, string | undefined][], wasPending: boolean) => {
        for (const [id, data] of page) {
          const parsed = data === undefined ? undefined : parseMessage(data);
          if (parsed?.ok) {
            await options.publish(parsed.message);
            moved++;
            result.moved++;
            if (wasPending) result.pending++;
          } else {
            // No subscriber would run it (it would reject and drop it): said, with what it held.
            result.invalid++;
            logger.warn({ stream: k.stream, entry: id, reason: parsed ? `${parsed.reason}: ${parsed.detail}` : 'no data field', raw: (data ?? '').slice(0, 200) }, 'not a valid job: dropped, not moved');
          }
          // Only once the destination has it (on a cluster: a replica too).
          if (delivered !== undefined) await client.sendCommand(['XACK', k.stream, k.group, id]);
          await client.sendCommand(['XDEL', k.stream, id]);
        }
      };
      for (const id of pending) {
        let found = false;
        for await (const page of entries(client, k, id, id)) {
          found = true;
          await move(page, true);
        }
        // Pending but trimmed or deleted: nothing to carry; acknowledged so the source ends empty.
        if (!found) await client.sendCommand(['XACK', k.stream, k.group, id]);
      }
      // Never delivered: after the group's last delivered id (everything, without a group).
      if (delivered === undefined || compareIds(delivered, end) < 0) {
        for await (const page of entries(client, k, delivered === undefined ? '-' : `(${delivered}`, end)) await move(page, false);
      }
      if (moved > 0) {
        result.streams++;
        logger.info({ stream: k.stream, moved }, 'moved the waiting jobs of a stream');
      }
    }
    result.deadLetters = Number(await emptyIfMissing(() => client.sendCommand(['XLEN', keys.dead]))) || 0;
    return result;
  } finally {
    await closeRedis(client);
  }
}

/** Stream ids compared as <ms>-<seq> numbers. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bs = 0n] = b.split('-').map((x) => BigInt(x));
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}
