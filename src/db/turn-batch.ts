// Rows that jobs write in the same event-loop turn, on the same connection or pool, go in one
// statement: one plan, one commit and one round trip for them all. Measured serially, PostgreSQL's
// CPU per stored outcome halved with batches of 10. The job statements (START_DAILY_JOBS,
// SAVE_*_OUTCOMES) take arrays for this.
import { coalesce } from '../coalesce.js';
import type { Queryable } from './db.js';

/** One batched statement: runs rows whose keys are distinct, answering one result per row, in order. */
export interface TurnStatement<R, O> {
  run(db: Queryable, rows: readonly R[]): Promise<O[]>;
  /** The row's unique key in the statement: ON CONFLICT cannot update a row twice, so repeats go in later rounds. */
  key(row: R): string;
  /** Rows per statement at most. */
  maxBatch: number;
}

// Per connection or pool, each statement's batcher. The map holds batchers of several row types;
// the statement object itself is the key, so the one cast below cannot pair a row with another's.
type Batcher<R, O> = (row: R) => Promise<O | Error>;
const writers = new WeakMap<Queryable, Map<object, Batcher<never, unknown>>>();

/** Queues `row` for this turn's statement `s` on `db` and answers its result. */
export async function inTurn<R, O>(db: Queryable, s: TurnStatement<R, O>, row: R): Promise<O> {
  let byStatement = writers.get(db);
  if (!byStatement) {
    byStatement = new Map();
    writers.set(db, byStatement);
  }
  let write = byStatement.get(s) as Batcher<R, O> | undefined;
  if (!write) {
    write = coalesce((rows: readonly R[]) => inRounds(db, s, rows), s.maxBatch);
    byStatement.set(s, write);
  }
  const out = await write(row);
  if (out instanceof Error) throw out;
  return out;
}

async function inRounds<R, O>(db: Queryable, s: TurnStatement<R, O>, rows: readonly R[]): Promise<Array<O | Error>> {
  const keys = rows.map((row) => s.key(row));
  // Most turns repeat no key: then they are one round of the rows as they came.
  if (new Set(keys).size === rows.length) return runRound(db, s, rows);
  // Otherwise each round takes the first row of every key still waiting; the repeats go later.
  const result = new Array<O | Error>(rows.length);
  let pending = rows.map((_, i) => i);
  while (pending.length > 0) {
    const seen = new Set<string>();
    const round: number[] = [];
    const later: number[] = [];
    for (const i of pending) {
      const k = keys[i] as string;
      (seen.has(k) ? later : round).push(i);
      seen.add(k);
    }
    const out = await runRound(db, s, round.map((i) => rows[i] as R));
    round.forEach((i, j) => (result[i] = out[j] as O | Error));
    pending = later;
  }
  return result;
}

/**
 * One statement for the round; when it fails with several rows, each row is tried alone, so a bad
 * row fails its own job only, not the jobs that happened to come in the same turn.
 */
async function runRound<R, O>(db: Queryable, s: TurnStatement<R, O>, rows: readonly R[]): Promise<Array<O | Error>> {
  const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  try {
    const out = await s.run(db, rows);
    if (out.length !== rows.length) throw new Error(`statement answered ${out.length} results for ${rows.length} rows`);
    return out;
  } catch (err) {
    if (rows.length === 1) return [asError(err)];
    return Promise.all(rows.map((r) => s.run(db, [r]).then(([out]) => out as O, asError)));
  }
}
