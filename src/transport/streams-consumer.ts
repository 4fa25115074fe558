// One subscriber's side of the job stream: pulls entries as slots free up, runs them in the work
// pool, keeps their leases, retries and dead-letters them, and takes over entries of dead peers.
//
// Every entry this consumer owns is in `held` from the moment it is read or claimed until it is
// settled: running, queued for a slot, or waiting out a retry backoff. The lease renewer renews
// all of them, so no peer reclaims an entry this process still means to run.
//
// Stop order (stop): stop reading and reclaiming, drop queued and backing-off entries (they stay
// pending and are taken over by peers once their lease lapses), unblock and await the read loop,
// drain the pool (leases still renewed meanwhile), stop the renewer and janitor, close the reader.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { parseMessage, type RejectReason } from '../messages.js';
import { coalesce } from '../coalesce.js';
import type { Keys } from './keys.js';
import { backoffDelay, JOB_RETRY, RECONNECT } from '../backoff.js';
import { CLOSE_TIMEOUT_MS, closeRedis, type RedisClient } from './redis-connection.js';
import { settledWithin } from '../timeout.js';
import {
  ackAndDelete,
  ackEntries,
  autoClaim,
  claimOwn,
  deadLetter,
  ensureGroup,
  errorMessage,
  isNoGroupError,
  ownPendingIds,
  readNew,
  renewLeases,
  type StreamEntry,
  type StreamFeatures,
} from './streams-commands.js';
import { createStreamsJanitor } from './streams-janitor.js';
import type { ConsumeOptions, Consumer, Delivery, DeliveryHandler, Settlement } from './transport.js';
import { createWorkPool } from './work-pool.js';

export interface StreamsConsumerOptions {
  /** Shared connection for every non-blocking command. */
  client: RedisClient;
  /** Dedicated connection for the blocking XREADGROUP; closed by stop(). */
  reader: RedisClient;
  keys: Keys;
  logger: Logger;
  consumerName: string;
  leaseMs: number;
  maxDeliveries: number;
  maxLen: number;
  blockMs: number;
  renewEveryMs: number;
  recoverEveryMs: number;
  maintenanceEveryMs: number;
  consumerIdleMs: number;
  features: StreamFeatures;
}

export interface StreamsConsumer extends Consumer {
  /** The read loop is running and its last read succeeded. */
  ready(): boolean;
}

interface Held {
  /** The raw `data` field, kept verbatim for the dead-letter stream. */
  data: string;
  /** Another consumer took the entry over (or it vanished): settle it without retrying. */
  lost: boolean;
  lastError?: string;
  /** Set while the entry waits out a retry backoff (or to acknowledge it again). */
  retryTimer?: NodeJS.Timeout;
}

/** How long stop() waits for CLIENT UNBLOCK to end a blocked read before dropping the reader. */
const UNBLOCK_WAIT_MS = 1000;

/** Tries to acknowledge a finished entry before leaving it to be redelivered. */
const MAX_ACK_ATTEMPTS = 10;


export function startStreamsConsumer(
  handler: DeliveryHandler,
  consume: ConsumeOptions,
  options: StreamsConsumerOptions,
): StreamsConsumer {
  const { client, reader, keys, logger, consumerName: consumer, leaseMs, maxDeliveries } = options;
  let features = options.features;
  const held = new Map<string, Held>();
  const queued: Delivery[] = [];
  /** Slots promised to the recoverer's claim in flight, so the next read leaves them free. */
  let claiming = 0;
  let stopping = false;
  let reading = false;
  let readerId: string | undefined;
  let cursor = '0-0';
  const stopped = new AbortController();
  const warnedAt = new Map<string, number>();

  // Once a minute per kind: Redis being away must not flood the log.
  const warnSometimes = (kind: string, fields: Record<string, unknown>, msg: string) => {
    if (Date.now() - (warnedAt.get(kind) ?? 0) < 60_000) return;
    warnedAt.set(kind, Date.now());
    logger.warn(fields, msg);
  };

  let wake: (() => void) | undefined;
  const changed = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const nextChange = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  const guarded: DeliveryHandler = async (delivery, signal) => {
    try {
      return await handler(delivery, signal);
    } catch (err) {
      logger.error({ err: errorMessage(err), entry: delivery.id }, 'delivery handler threw; the entry is retried');
      return { kind: 'retry', delayMs: backoffDelay(delivery.deliveryCount - 1, JOB_RETRY), error: errorMessage(err) };
    }
  };
  const pool = createWorkPool(
    guarded,
    consume.concurrency,
    (err) => logger.error({ err: errorMessage(err) }, 'stream settlement crashed'),
    () => {
      pump();
      changed();
    },
  );

  /**
   * Slots neither running nor owed to queued entries. The blocking read reserves nothing: were it
   * to, the recoverer would find no slot for as long as reads block. The price is that a read and
   * a reclaim finishing together may overshoot; the extra entries wait in `queued`, leased.
   */
  const room = () => pool.free() - queued.length;

  function pump(): void {
    while (!stopping && queued.length > 0 && pool.free() > 0) {
      const next = queued.shift() as Delivery;
      pool.tryRun(next, (s) => settle(next, s));
    }
  }

  function reject(entry: StreamEntry, reason: RejectReason, detail: string, raw: string): void {
    held.delete(entry.id);
    try {
      consume.onReject(reason, detail, raw);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'onReject threw');
    }
    // Never retried: a malformed entry is as malformed on the next delivery.
    ackAndDelete(client, keys, [entry.id]).catch((err: unknown) =>
      logger.warn({ err: errorMessage(err), entry: entry.id }, 'could not remove a rejected entry; it will be met again'),
    );
  }

  /** Takes a read or claimed entry on: reject it, dead-letter it, or queue it for a slot. */
  function admit(entry: StreamEntry, lastError?: string): void {
    if (entry.data === undefined) {
      reject(entry, 'invalid_field', 'stream entry has no data field', '');
      return;
    }
    const parsed = parseMessage(entry.data);
    if (!parsed.ok) {
      reject(entry, parsed.reason, parsed.detail, entry.data);
      return;
    }
    const delivery: Delivery = { message: parsed.message, id: entry.id, deliveryCount: entry.deliveries };
    if (!held.has(entry.id)) held.set(entry.id, { data: entry.data, lost: false });
    if (entry.deliveries > maxDeliveries) {
      // Its earlier deliveries all ended without a settlement (their subscribers died) or failed.
      const runs = entry.deliveries - 1;
      void giveUp(delivery, lastError ?? `abandoned: not acknowledged within JOB_LEASE in ${runs} deliveries`, runs);
      return;
    }
    queued.push(delivery);
    pump();
  }

  // Acknowledgements made in the same turn of the event loop go out as one XACK of many ids.
  const ack = coalesce(async (ids: readonly string[]) => {
    features = await ackEntries(client, keys, ids, features);
    return ids.map(() => undefined);
  });

  async function settle(delivery: Delivery, s: Settlement, ackAttempt = 1): Promise<void> {
    const h = held.get(delivery.id);
    let keep = false;
    try {
      if (s.kind === 'abandon') {
        // Nobody is running the job (this run lost its claim, or the claim is still held by this
        // entry's previous run, whose subscriber died): never acknowledged. It stays pending, no
        // longer renewed, and is taken over after JOB_LEASE — by then any stale claim has expired.
        // If the claim's holder is in fact alive, its own ack of this id settles it.
        return;
      }
      if (s.kind !== 'retry') {
        // Done, or a duplicate (another entry's run holds the claim, and that entry carries the
        // job to the end). Also when the lease was lost: the work is done, and the new owner's
        // own ack is then a no-op. Not aborting a job on a lost lease is deliberate: the new owner
        // meets the job's claim (held by this run) and hands its copy back.
        await ack(delivery.id);
        return;
      }
      // Stopping: leave it pending for a peer. Lost: its new owner has it.
      if (stopping || !h || h.lost) return;
      if (delivery.deliveryCount >= maxDeliveries) {
        keep = true; // giveUp releases it
        await giveUp(delivery, s.error, delivery.deliveryCount);
        return;
      }
      h.lastError = s.error;
      h.retryTimer = setTimeout(() => void retryNow(delivery.id), s.delayMs);
      keep = true;
    } catch (err) {
      if (s.kind !== 'retry' && h && !stopping && ackAttempt < MAX_ACK_ATTEMPTS) {
        // Typically the connection dropped with the XACK in flight: acknowledge again once it is
        // back rather than have the finished job redelivered after its lease.
        h.retryTimer = setTimeout(() => void settle(delivery, s, ackAttempt + 1), 1000);
        keep = true;
      } else {
        logger.warn({ err: errorMessage(err), entry: delivery.id }, 'could not settle a stream entry; it stays pending and is delivered again');
      }
    } finally {
      if (!keep) held.delete(delivery.id);
      changed();
    }
  }

  /** The backoff is over: claim the entry to itself again (bumping its delivery count) and queue it. */
  async function retryNow(id: string): Promise<void> {
    const h = held.get(id);
    if (!h || stopping) return;
    h.retryTimer = undefined;
    try {
      const [claim] = await claimOwn(client, keys, consumer, [id]);
      if (stopping) {
        held.delete(id); // left pending for a peer
        return;
      }
      if (claim?.status !== 'ok') {
        held.delete(id);
        logger.info({ entry: id, status: claim?.status }, 'entry due for retry was taken over or deleted');
        changed();
        return;
      }
      admit(claim.entry, h.lastError);
    } catch (err) {
      if (stopping) return;
      warnSometimes('retry', { err: errorMessage(err) }, 'could not claim an entry for its retry; trying again');
      h.retryTimer = setTimeout(() => void retryNow(id), 1000);
    }
  }

  async function giveUp(delivery: Delivery, error: string, deliveries: number): Promise<void> {
    const data = held.get(delivery.id)?.data ?? '';
    try {
      if (await deadLetter(client, keys, consumer, { id: delivery.id, data, error, deliveries })) {
        logger.warn({ entry: delivery.id, deliveries, error }, 'entry moved to the dead-letter stream');
        try {
          consume.onGiveUp?.(delivery, error, { deadLettered: true });
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'onGiveUp threw');
        }
      }
    } catch (err) {
      // Still pending: its lease lapses and the recoverer meets it again.
      logger.warn({ err: errorMessage(err), entry: delivery.id }, 'could not dead-letter an entry; it stays pending');
    } finally {
      held.delete(delivery.id);
      changed();
    }
  }

  function markLost(id: string): void {
    const h = held.get(id);
    if (!h || h.lost) return;
    h.lost = true;
    logger.warn({ entry: id }, 'stream lease lost: the entry was taken over by another subscriber or deleted');
    const i = queued.findIndex((d) => d.id === id);
    if (i >= 0) queued.splice(i, 1);
    if (h.retryTimer || i >= 0) {
      clearTimeout(h.retryTimer);
      held.delete(id); // not running: nothing left to settle
    }
    changed();
  }

  async function groupLost(): Promise<void> {
    try {
      await ensureGroup(client, keys);
      logger.warn({ group: keys.group }, 'consumer group was missing (Redis lost its data?); recreated');
    } catch (err) {
      warnSometimes('group', { err: errorMessage(err) }, 'could not recreate the consumer group');
    }
  }

  async function renew(): Promise<void> {
    const snapshot = [...held].filter(([, h]) => !h.lost);
    if (snapshot.length === 0) return;
    const asked = new Map(snapshot);
    try {
      for (const id of await renewLeases(client, keys, consumer, snapshot.map(([id]) => id))) {
        // Only the holding this renewal was about: an entry settled meanwhile and taken on again
        // (a redelivery) is a new holding with a lease of its own.
        if (held.get(id) === asked.get(id)) markLost(id);
      }
    } catch (err) {
      // Leases lapse only after leaseMs; the next round (every leaseMs/3) tries again.
      warnSometimes('renew', { err: errorMessage(err) }, 'could not renew stream leases');
    }
  }

  async function recover(): Promise<void> {
    const n = Math.min(room(), 100);
    if (stopping || n <= 0) return;
    claiming += n;
    let claimed: StreamEntry[] = [];
    try {
      const result = await autoClaim(client, keys, consumer, leaseMs, cursor, n);
      cursor = result.cursor;
      claimed = result.claimed;
      if (result.deleted.length > 0) {
        logger.info({ entries: result.deleted }, 'pending entries no longer in the stream were acknowledged');
      }
    } catch (err) {
      if (isNoGroupError(err)) await groupLost();
      else warnSometimes('recover', { err: errorMessage(err) }, 'could not reclaim idle stream entries');
    } finally {
      claiming -= n;
      changed();
    }
    for (const entry of claimed) {
      // Ours already (its lease lapsed while Redis was away), or read during stop: leave it.
      if (held.has(entry.id) || stopping) continue;
      logger.info({ entry: entry.id, deliveries: entry.deliveries }, 'took over an entry whose subscriber stopped renewing its lease');
      admit(entry);
    }
  }

  async function readOnce(n: number, ownBacklog: boolean): Promise<{ entries: StreamEntry[]; ownLeft: boolean }> {
    if (ownBacklog) {
      // Own pending entries first (left by an earlier run under this name, or a lost read reply).
      const pending = await ownPendingIds(client, keys, consumer, held.size + n);
      const ids = pending.filter((id) => !held.has(id)).slice(0, n);
      const claims = await claimOwn(client, keys, consumer, ids);
      const entries = claims.flatMap((c) => (c.status === 'ok' ? [c.entry] : []));
      return { entries, ownLeft: ids.length > 0 };
    }
    readerId ??= String(await reader.sendCommand(['CLIENT', 'ID']));
    return { entries: await readNew(reader, keys, consumer, n, options.blockMs), ownLeft: false };
  }

  async function readLoop(): Promise<void> {
    let ownBacklog = true;
    let failures = 0;
    while (!stopping) {
      // Backpressure by pulling: ask Redis only for as many entries as there are free slots.
      const n = room() - claiming;
      if (n <= 0) {
        await nextChange();
        continue;
      }
      let entries: StreamEntry[] = [];
      try {
        const r = await readOnce(n, ownBacklog);
        entries = r.entries;
        ownBacklog = r.ownLeft;
        reading = true;
        failures = 0;
      } catch (err) {
        reading = false;
        readerId = undefined;
        ownBacklog = true; // a read may have been delivered whose reply was lost
        if (!stopping) {
          if (isNoGroupError(err)) {
            await groupLost();
          } else {
            warnSometimes('read', { err: errorMessage(err) }, 'stream read failed; retrying');
            await delay(backoffDelay(failures++, RECONNECT), undefined, { signal: stopped.signal }).catch(() => {});
          }
        }
      }
      // Read while stopping: stays pending, taken over by a peer once its lease lapses.
      if (stopping) break;
      for (const entry of entries) admit(entry);
    }
    reading = false;
  }

  // Periodic parts; each round skips if the previous one is still running.
  const periodic = (everyMs: number, fn: () => Promise<void>) => {
    let running: Promise<void> | undefined;
    const timer = setInterval(() => {
      running ??= fn().finally(() => {
        running = undefined;
      });
    }, everyMs);
    return {
      async stop() {
        clearInterval(timer);
        // A round stuck on an unreachable Redis does not hold the stop.
        if (running) await settledWithin(running, CLOSE_TIMEOUT_MS);
      },
    };
  };

  const janitor = createStreamsJanitor({
    client,
    keys,
    logger,
    consumerName: consumer,
    maxLen: options.maxLen,
    consumerIdleMs: options.consumerIdleMs,
    everyMs: options.maintenanceEveryMs,
  });
  const renewer = periodic(options.renewEveryMs, renew);
  const recoverer = periodic(options.recoverEveryMs, recover);
  janitor.start();
  void janitor.runOnce();
  const loop = readLoop().catch((err: unknown) => {
    reading = false; // readiness reports it
    logger.error({ err: errorMessage(err) }, 'stream read loop crashed');
  });
  let stopping$: Promise<void> | undefined;

  return {
    ready: () => reading && reader.isReady,
    inFlight: () => pool.inFlight(),
    stop(graceMs: number) {
      stopping$ ??= (async () => {
        stopping = true;
        stopped.abort();
        await recoverer.stop();
        for (const [id, h] of held) {
          if (h.retryTimer) {
            clearTimeout(h.retryTimer);
            held.delete(id);
          }
        }
        for (const d of queued.splice(0)) held.delete(d.id);
        changed();
        // Wake a blocked XREADGROUP now rather than after blockMs; repeated in case it had not
        // reached the server yet.
        const unblock = () => {
          if (readerId) client.sendCommand(['CLIENT', 'UNBLOCK', readerId]).catch(() => {});
        };
        unblock();
        const unblocker = setInterval(unblock, 100);
        if (!(await settledWithin(loop, UNBLOCK_WAIT_MS))) {
          // Redis does not answer: dropping the reader's connection rejects the blocked read.
          // Whatever it may have delivered meanwhile is pending under this name, for a peer.
          reader.destroy();
          await loop;
        }
        clearInterval(unblocker);
        const left = await pool.drain(graceMs);
        if (left > 0) logger.warn({ jobs: left }, 'jobs still running at shutdown; their entries stay pending for another subscriber');
        await Promise.all([renewer.stop(), janitor.stop()]);
        await closeRedis(reader);
      })();
      return stopping$;
    },
  };
}
