// Coalesces the calls made within one event-loop turn into one batch call: jobs that arrive or
// finish together (a stream read, a socket chunk of Pub/Sub messages, LLM answers) then share one
// round trip, and one command's or statement's cost, instead of paying one each.

interface Pending<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
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
  let pending = new Map<string, Array<Pending<I, O>>>();
  let scheduled = false;

  function flushAll(): void {
    scheduled = false;
    const groups = pending;
    pending = new Map();
    for (const batch of groups.values()) send(batch);
  }

  function send(batch: ReadonlyArray<Pending<I, O>>): void {
    run(batch.map((p) => p.item)).then(
      (out) => {
        if (out.length !== batch.length) {
          const err = new Error(`batch answered ${out.length} results for ${batch.length} items`);
          for (const p of batch) p.reject(err);
          return;
        }
        batch.forEach((p, i) => p.resolve(out[i] as O));
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      const group = groupOf(item);
      let batch = pending.get(group);
      if (!batch) pending.set(group, (batch = []));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
      batch.push({ item, resolve, reject });
      if (batch.length >= maxBatch) {
        pending.delete(group);
        send(batch);
      }
    });
}

/**
 * As coalesceBy for calls whose answers nobody reads (a release that only lets a lease go early):
 * every call of a batch gets the batch's one promise, settled when `run` settles, instead of a
 * promise, two resolvers and a record of its own.
 */
export function coalesceAllBy<I>(groupOf: (item: I) => string, run: (items: readonly I[]) => Promise<unknown>, maxBatch = 500): (item: I) => Promise<void> {
  interface Batch {
    items: I[];
    done: Promise<void>;
    settle(result: Promise<unknown>): void;
  }
  let pending = new Map<string, Batch>();
  let scheduled = false;

  function open(): Batch {
    let settle!: (result: Promise<unknown>) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (result) => result.then(() => resolve(), reject)));
    return { items: [], done, settle };
  }

  function flushAll(): void {
    scheduled = false;
    const groups = pending;
    pending = new Map();
    for (const batch of groups.values()) batch.settle(run(batch.items));
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
      batch.settle(run(batch.items));
    }
    return batch.done;
  };
}
