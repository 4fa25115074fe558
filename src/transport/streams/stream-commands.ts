// Every Redis command of the Streams transport and its admin, with replies parsed into plain
// values: the consume loop, the janitor and the CLI never read raw Redis replies themselves.
import type { Keys } from '../keys.js';
import type { RedisConn } from '../redis-connection.js';
import { loadScript, runScript } from '../scripts.js';

const CLAIM_OWN = loadScript('stream-claim-own');
const RENEW_LEASES = loadScript('stream-renew-leases');
const AUTOCLAIM = loadScript('stream-autoclaim');
const DEAD_LETTER = loadScript('stream-dead-letter');
const TRIM = loadScript('stream-trim');
const REAP_CONSUMERS = loadScript('stream-reap-consumers');

/** One stream entry as the transport sees it. */
export interface StreamEntry {
  readonly id: string;
  /** The `data` field; undefined when the entry has none (written by something else). */
  readonly data: string | undefined;
  /** Times Redis has delivered it, this delivery included. */
  readonly deliveries: number;
}

export type OwnClaim =
  | { status: 'ok'; entry: StreamEntry }
  /** Another consumer took it over, or it was acknowledged meanwhile. */
  | { status: 'lost'; id: string }
  /** The entry was deleted or trimmed from the stream (now acknowledged). */
  | { status: 'deleted'; id: string };

/** What this server supports beyond Redis 7.0. */
export interface StreamFeatures {
  /** Redis ≥ 8.2: XACKDEL and the KEEPREF / DELREF / ACKED options. */
  readonly ackDelete: boolean;
}

// ---- reply parsing -------------------------------------------------------------------------

export function asArray(reply: unknown): unknown[] {
  return Array.isArray(reply) ? reply : [];
}

export function asString(reply: unknown): string | undefined {
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('utf8');
  return undefined;
}

export function asNumber(reply: unknown): number {
  const n = typeof reply === 'number' ? reply : Number(asString(reply));
  return Number.isFinite(n) ? n : 0;
}

/**
 * Field/value replies as a record: a flat [field, value …] list (RESP2, Lua) or a map (RESP3,
 * which node-redis turns into a plain object or a Map).
 */
export function fieldMap(reply: unknown): Record<string, unknown> {
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), v]));
  if (!Array.isArray(reply)) return typeof reply === 'object' && reply !== null ? { ...(reply as Record<string, unknown>) } : {};
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = asString(reply[i]);
    if (key !== undefined) out[key] = reply[i + 1];
  }
  return out;
}

/** The per-stream entry lists of an XREAD/XREADGROUP reply: [[name, entries] …] or a map. */
function streamsOf(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply.map((s) => asArray(s)[1]);
  if (reply === null || reply === undefined) return [];
  return Object.values(fieldMap(reply));
}

function entryFrom(id: unknown, fields: unknown, deliveries: number): StreamEntry | undefined {
  const entryId = asString(id);
  if (entryId === undefined) return undefined;
  return { id: entryId, data: asString(fieldMap(fields).data), deliveries };
}

/** Milliseconds part of a stream id (`<ms>-<seq>`). */
export function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The group is gone (Redis restarted without persistence, or someone destroyed it). */
export function isNoGroupError(err: unknown): boolean {
  return errorMessage(err).startsWith('NOGROUP');
}

/** Runs a read of a stream or its group; a stream or group not created yet reads as empty, not as a failure. */
export async function emptyIfMissing(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (isNoGroupError(err) || /no such key/i.test(String(err))) return [];
    throw err;
  }
}

/** The command or option does not exist on this server. */
function isUnsupported(err: unknown): boolean {
  const m = errorMessage(err);
  return m.includes('unknown command') || m.includes('syntax error') || m.includes('ERR Unknown');
}

// ---- group and features --------------------------------------------------------------------

/**
 * Creates the consumer group at the stream's start (id 0, MKSTREAM), so entries published before
 * any subscriber ever ran are processed. An existing group is kept as it is.
 */
export async function ensureGroup(client: RedisConn, keys: Keys): Promise<void> {
  try {
    await client.sendCommand(['XGROUP', 'CREATE', keys.stream, keys.group, '0', 'MKSTREAM']);
  } catch (err) {
    if (!errorMessage(err).startsWith('BUSYGROUP')) throw err;
  }
}

/** Asks the server (COMMAND INFO) rather than parsing versions: forks and backports vary. */
export async function detectFeatures(client: RedisConn): Promise<StreamFeatures> {
  try {
    const info = asArray(await client.sendCommand(['COMMAND', 'INFO', 'XACKDEL']));
    return { ackDelete: info.length > 0 && info[0] !== null && info[0] !== undefined };
  } catch {
    return { ackDelete: false };
  }
}

// ---- publishing and reading ----------------------------------------------------------------

export async function addEntry(client: RedisConn, keys: Keys, data: string): Promise<string> {
  return asString(await client.sendCommand(['XADD', keys.stream, '*', 'data', data])) ?? '';
}

/**
 * Reads up to `count` never-delivered entries for `consumer`, blocking up to `blockMs`; without
 * `blockMs` it answers at once (a read-ahead on the shared connection must never block it).
 */
export async function readNew(
  reader: RedisConn,
  keys: Keys,
  consumer: string,
  count: number,
  blockMs?: number,
): Promise<StreamEntry[]> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const reply = await reader.sendCommand([
    'XREADGROUP', 'GROUP', keys.group, consumer, 'COUNT', String(count), ...block, 'STREAMS', keys.stream, '>',
  ]);
  const out: StreamEntry[] = [];
  for (const entries of streamsOf(reply)) {
    for (const raw of asArray(entries)) {
      const [id, fields] = asArray(raw);
      const entry = entryFrom(id, fields, 1);
      if (entry) out.push(entry);
    }
  }
  return out;
}

/** Ids pending for `consumer`, oldest first. */
export async function ownPendingIds(client: RedisConn, keys: Keys, consumer: string, count: number): Promise<string[]> {
  const reply = await client.sendCommand(['XPENDING', keys.stream, keys.group, '-', '+', String(count), consumer]);
  return asArray(reply)
    .map((row) => asString(asArray(row)[0]))
    .filter((id): id is string => id !== undefined);
}

// ---- leases, claims and settlement ----------------------------------------------------------

export async function claimOwn(client: RedisConn, keys: Keys, consumer: string, ids: readonly string[]): Promise<OwnClaim[]> {
  if (ids.length === 0) return [];
  const reply = await runScript<unknown>(client, CLAIM_OWN, [keys.stream], [keys.group, consumer, ...ids]);
  return asArray(reply).map((row): OwnClaim => {
    const [id, status, deliveries, fields] = asArray(row);
    const entryId = asString(id) ?? '';
    if (asString(status) === 'ok') {
      return { status: 'ok', entry: { id: entryId, data: asString(fieldMap(fields).data), deliveries: asNumber(deliveries) } };
    }
    return { status: asString(status) === 'deleted' ? 'deleted' : 'lost', id: entryId };
  });
}

/** Renews the leases of `ids`; returns the ids this consumer no longer owns. */
export async function renewLeases(client: RedisConn, keys: Keys, consumer: string, ids: readonly string[]): Promise<string[]> {
  const lost: string[] = [];
  // Bounded batches keep each script run short (a script blocks the server while it runs).
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    const reply = asArray(await runScript<unknown>(client, RENEW_LEASES, [keys.stream], [keys.group, consumer, ...batch]));
    batch.forEach((id, j) => {
      if (asNumber(reply[j]) !== 1) lost.push(id);
    });
  }
  return lost;
}

export interface AutoClaimResult {
  cursor: string;
  claimed: StreamEntry[];
  /** Pending entries that no longer exist in the stream; acknowledged by the script. */
  deleted: string[];
}

/** XAUTOCLAIM of entries idle longer than `minIdleMs`, with their delivery counts. */
export async function autoClaim(
  client: RedisConn,
  keys: Keys,
  consumer: string,
  minIdleMs: number,
  cursor: string,
  count: number,
): Promise<AutoClaimResult> {
  const reply = asArray(
    await runScript<unknown>(client, AUTOCLAIM, [keys.stream], [keys.group, consumer, minIdleMs, cursor, count]),
  );
  const claimed: StreamEntry[] = [];
  for (const row of asArray(reply[1])) {
    const [id, deliveries, fields] = asArray(row);
    const entry = entryFrom(id, fields, asNumber(deliveries));
    if (entry) claimed.push(entry);
  }
  const deleted = asArray(reply[2])
    .map(asString)
    .filter((id): id is string => id !== undefined);
  return { cursor: asString(reply[0]) ?? '0-0', claimed, deleted };
}

/**
 * Acknowledges entries. On Redis ≥ 8.2 XACKDEL … ACKED also deletes each entry once every group
 * has acknowledged it, keeping the stream short without trimming; elsewhere the janitor trims.
 * Returns the features to use from now on (XACKDEL refused: fall back to XACK for good).
 */
export async function ackEntries(
  client: RedisConn,
  keys: Keys,
  ids: readonly string[],
  features: StreamFeatures,
): Promise<StreamFeatures> {
  if (ids.length === 0) return features;
  if (features.ackDelete) {
    try {
      await client.sendCommand(['XACKDEL', keys.stream, keys.group, 'ACKED', 'IDS', String(ids.length), ...ids]);
      return features;
    } catch (err) {
      if (!isUnsupported(err)) throw err;
      features = { ...features, ackDelete: false };
    }
  }
  await client.sendCommand(['XACK', keys.stream, keys.group, ...ids]);
  return features;
}

/** Acknowledges and deletes entries that must never be delivered again (malformed). */
export async function ackAndDelete(client: RedisConn, keys: Keys, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.multi().addCommand(['XACK', keys.stream, keys.group, ...ids]).addCommand(['XDEL', keys.stream, ...ids]).exec();
}

export interface DeadLetterInput {
  id: string;
  data: string;
  error: string;
  deliveries: number;
}

/** Moves an entry this consumer owns to the dead-letter stream; false when it is no longer ours. */
export async function deadLetter(client: RedisConn, keys: Keys, consumer: string, input: DeadLetterInput): Promise<boolean> {
  const reply = await runScript<unknown>(client, DEAD_LETTER, [keys.stream, keys.dead], [
    keys.group, consumer, input.id, input.data, input.error, input.deliveries, new Date().toISOString(),
  ]);
  return asString(reply) !== undefined;
}

// ---- maintenance ---------------------------------------------------------------------------

/** Trims entries every group has read and acknowledged, once the stream is longer than `maxLen`. */
export async function trimAcknowledged(client: RedisConn, keys: Keys, maxLen: number): Promise<number> {
  return asNumber(await runScript<unknown>(client, TRIM, [keys.stream], [maxLen]));
}

/** Removes consumers holding nothing and idle longer than `minIdleMs`; returns their names. */
export async function reapIdleConsumers(client: RedisConn, keys: Keys, self: string, minIdleMs: number): Promise<string[]> {
  const reply = await runScript<unknown>(client, REAP_CONSUMERS, [keys.stream], [keys.group, minIdleMs, self]);
  return asArray(reply)
    .map(asString)
    .filter((name): name is string => name !== undefined);
}
