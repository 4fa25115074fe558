// Coalesces the calls made within one event-loop turn into one batch call: jobs that arrive or
// finish together (a stream read, a socket chunk of Pub/Sub messages, LLM answers) then share one
// round trip, and one command's or statement's cost, instead of paying one each.

/** One group's batch of the turn: its items, and the one promise of its run that every call shares. */
interface Batch<I, R> {
  readonly items: I[];
  readonly done: Promise<R>;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * The one batching mechanism of both forms below: queues `item` in this turn's batch of its group
 * and returns that batch, `item` last in it. A batch goes to `run` at the end of the turn, or at
 * once when it reaches `maxBatch`. Both forms wrap the caller's run in an async function, so one
 * that throws rejects its batch like one that rejects.
 */
function turnBatches<I, R>(groupOf: (item: I) => string, run: (items: readonly I[]) => Promise<R>, maxBatch: number): (item: I) => Batch<I, R> {
  let pending = new Map<string, Batch<I, R>>();
  let scheduled = false;

  function open(): Batch<I, R> {
    let resolve!: (result: R) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { items: [], done, resolve, reject };
  }

  const send = (batch: Batch<I, R>): void => void run(batch.items).then(batch.resolve, batch.reject);

  function flushAll(): void {
    scheduled = false;
    const groups = pending;
    pending = new Map();
    for (const batch of groups.values()) send(batch);
  }

  return (item) => {
    const group = groupOf(item);
    let batch = pending.get(group);
    if (!batch) pending.set(group, (batch = open()));
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushAll);
    }
    batch.items.push(item);
    if (batch.items.length >= maxBatch) {
      pending.delete(group);
      send(batch);
    }
    return batch;
  };
}

/**
 * Returns a function that queues `item` and resolves with its element of `run`'s answer. `run`
 * receives the items queued since the last batch (at most `maxBatch`) and must answer one output
 * per item, in order; when it rejects, every call of the batch rejects with its error.
 */
export function coalesce<I, O>(run: (items: readonly I[]) => Promise<readonly O[]>, maxBatch = 500): (item: I) => Promise<O> {
  return coalesceBy(() => '', run, maxBatch);
}

/**
 * As coalesce, one batch per group of the turn: items whose groups differ (Redis Cluster slots,
 * say: one script call may not touch keys of two) never share a batch. Only the turn's groups are
 * held, so a group per user costs nothing once its batch is sent.
 */
export function coalesceBy<I, O>(
  groupOf: (item: I) => string,
  run: (items: readonly I[]) => Promise<readonly O[]>,
  maxBatch = 500,
): (item: I) => Promise<O> {
  const enqueue = turnBatches(
    groupOf,
    async (items: readonly I[]) => {
      const out = await run(items);
      if (out.length !== items.length) throw new Error(`batch answered ${out.length} results for ${items.length} items`);
      return out;
    },
    maxBatch,
  );
  return (item) => {
    const batch = enqueue(item);
    const index = batch.items.length - 1;
    return batch.done.then((out) => out[index] as O);
  };
}

/**
 * As coalesceBy for calls whose answers nobody reads (a release that only lets a lease go early,
 * an XACK that answers for its batch): every call of a batch gets the batch's one promise instead
 * of one of its own.
 */
export function coalesceAllBy<I>(groupOf: (item: I) => string, run: (items: readonly I[]) => Promise<unknown>, maxBatch = 500): (item: I) => Promise<void> {
  const enqueue = turnBatches(
    groupOf,
    async (items: readonly I[]) => {
      await run(items);
    },
    maxBatch,
  );
  return (item) => enqueue(item).done;
}
