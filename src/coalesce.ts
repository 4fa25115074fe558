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
  let pending: Array<Pending<I, O>> = [];

  function flush(): void {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
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
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
      if (pending.length >= maxBatch) flush();
    });
}
