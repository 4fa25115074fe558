// SCHEDULER_MAX_PER_USER (DESIGN.md "Scale, budgets and egress"): a tick takes at most that many
// targets of one user and interleaves users, so one user's three years of imported diaries do not
// push everyone else's yesterday back. Within a user, and for the first of each user, the order
// the targets came in (oldest due first) is kept.

/** Counts targets per user across a tick and says whether one more of `user` may go. */
export class PerUserCap {
  private readonly taken = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Takes one slot of `user`; false when the user has had `max` this tick. */
  take(user: string): boolean {
    const n = this.taken.get(user) ?? 0;
    if (n >= this.max) return false;
    this.taken.set(user, n + 1);
    return true;
  }
}

/** Round robin across users: each user's first target, then each one's second, and so on. */
export function interleaveByUser<T>(items: readonly T[], userOf: (t: T) => string): T[] {
  const queues = new Map<string, T[]>();
  for (const item of items) {
    const user = userOf(item);
    const q = queues.get(user);
    if (q) q.push(item);
    else queues.set(user, [item]);
  }
  const out: T[] = [];
  const lists = [...queues.values()];
  for (let rank = 0; out.length < items.length; rank++) {
    for (const q of lists) {
      const item = q[rank];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}
