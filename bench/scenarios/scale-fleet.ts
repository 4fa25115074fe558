// What the scale simulations' fake fleets share: a tick's figures, and storing the jobs they
// cleared as done summaries (the real tables and triggers, which also spend the announcement).
import type { Db } from '../../src/db/db.js';
import type { JobMessage } from '../../src/messages.js';

export interface TickRow { tick: number; published: number; streamLength: number; waiting: number; usedMemory: number; tickMs: number; cleared: number }

/** Each (user, date) at most once per call: one statement cannot update a row twice. */
export async function storeDone(db: Db, users: readonly string[], dates: readonly string[]): Promise<void> {
  if (users.length === 0) return;
  await db.query(
    `INSERT INTO diary_summary_days (user_id, date, summary, model, status)
     SELECT u, d, 'summary', 'fleet', 'done' FROM unnest($1::uuid[], $2::date[]) AS v(u, d)
     ON CONFLICT (user_id, date) DO UPDATE SET status = 'done', updated_at = now()`,
    [users, dates],
  );
}

/** A published message's target: what a publish counts against. */
export function targetOf(m: JobMessage): string {
  return m.type === 'daily_summary' ? `${m.user_id} ${m.date}` : `${m.user_id} ${m.year}-${m.month}`;
}
