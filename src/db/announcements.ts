// Where the announcing scheduler finds its targets and records what it published (migration 0009).
// One source per job kind; each read is one page through a partial index.
import type { Queryable } from './db.js';
import { DAILY_FRESH, DAILY_LOST, DAILY_OVERDUE, MARK_DAILY_ANNOUNCED, UNMARK_DAILY } from './sql/announce-daily.js';
import { MARK_MONTHLY_ANNOUNCED, MONTHLY_FRESH, MONTHLY_LOST, MONTHLY_OVERDUE, UNMARK_MONTHLY } from './sql/announce-monthly.js';
import type { DailyTarget, MonthlyTarget, TargetQueryOptions } from './targets.js';

export type AnnounceQuery = Omit<TargetQueryOptions, 'limit'>;

export interface Announcement<T> {
  target: T;
  /** From when it may be published again. */
  again: Date;
}

export interface AnnounceSource<T> {
  /** Never announced, or handled since; oldest due first, paged with `after`. */
  fresh(limit: number, after?: T): Promise<T[]>;
  /** Announced, and past their window. */
  overdue(limit: number): Promise<T[]>;
  /** Announced through `via` at or before `lostAt`, when a loss was reported after. */
  lost(limit: number, via: string, lostAt: Date): Promise<T[]>;
  /** Records announcements (before publishing them). */
  mark(items: readonly Announcement<T>[], via: string, at: Date): Promise<void>;
  /** Forgets announcements whose publish failed. */
  unmark(targets: readonly T[]): Promise<void>;
  userOf(target: T): string;
  keyOf(target: T): string;
}

function common(q: AnnounceQuery): [number, string, string] {
  return [q.minChars, q.now.toISOString(), q.defaultTimezone];
}

export function dailySource(db: Queryable, q: AnnounceQuery): AnnounceSource<DailyTarget> {
  return {
    fresh: (limit, after) => db.query<DailyTarget>(DAILY_FRESH, [...common(q), limit, after?.date ?? null, after?.user_id ?? null]),
    overdue: (limit) => db.query<DailyTarget>(DAILY_OVERDUE, [...common(q), limit]),
    lost: (limit, via, lostAt) => db.query<DailyTarget>(DAILY_LOST, [...common(q), limit, via, lostAt.toISOString()]),
    async mark(items, via, at) {
      if (items.length === 0) return;
      await db.query(MARK_DAILY_ANNOUNCED, [
        at.toISOString(), via,
        items.map((i) => i.target.user_id), items.map((i) => i.target.date), items.map((i) => i.again.toISOString()),
      ]);
    },
    async unmark(targets) {
      if (targets.length === 0) return;
      await db.query(UNMARK_DAILY, [targets.map((t) => t.user_id), targets.map((t) => t.date)]);
    },
    userOf: (t) => t.user_id,
    keyOf: (t) => `${t.user_id}/${t.date}`,
  };
}

export function monthlySource(db: Queryable, q: AnnounceQuery): AnnounceSource<MonthlyTarget> {
  return {
    fresh: (limit, after) =>
      db.query<MonthlyTarget>(MONTHLY_FRESH, [...common(q), limit, after?.year ?? null, after?.month ?? null, after?.user_id ?? null]),
    overdue: (limit) => db.query<MonthlyTarget>(MONTHLY_OVERDUE, [...common(q), limit]),
    lost: (limit, via, lostAt) => db.query<MonthlyTarget>(MONTHLY_LOST, [...common(q), limit, via, lostAt.toISOString()]),
    async mark(items, via, at) {
      if (items.length === 0) return;
      await db.query(MARK_MONTHLY_ANNOUNCED, [
        at.toISOString(), via,
        items.map((i) => i.target.user_id), items.map((i) => i.target.year), items.map((i) => i.target.month),
        items.map((i) => i.again.toISOString()),
      ]);
    },
    async unmark(targets) {
      if (targets.length === 0) return;
      await db.query(UNMARK_MONTHLY, [targets.map((t) => t.user_id), targets.map((t) => t.year), targets.map((t) => t.month)]);
    },
    userOf: (t) => t.user_id,
    keyOf: (t) => `${t.user_id}/${t.year}-${t.month}`,
  };
}
