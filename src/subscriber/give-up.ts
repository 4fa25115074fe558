// What the database says about a job its transport gave up on after MAX_DELIVERIES.
import type { Db } from '../db/db.js';
import { readDailyInput, readMonthlyInput, saveDailyOutcome, saveMonthlyOutcome } from '../db/summaries.js';
import type { JobMessage } from '../messages.js';

/**
 * Streams moved the job to dead letters: mark the row `failed` so the scheduler stops republishing
 * it (an operator replays it from the dead-letter stream). Pub/Sub has no dead letters: the row
 * stays `retrying`, so the next scheduler tick publishes it again.
 */
export async function saveGiveUp(
  db: Db,
  transport: 'pubsub' | 'streams',
  msg: JobMessage,
  error: string,
  deliveries: number,
): Promise<void> {
  const status = transport === 'streams' ? 'failed' : 'retrying';
  const text = `gave up after ${deliveries} deliveries: ${error}`;
  if (msg.type === 'daily_summary') {
    const input = await readDailyInput(db, msg.user_id, msg.date);
    if (input) await saveDailyOutcome(db, msg.user_id, msg.date, input.version, { status, error: text });
  } else {
    const input = await readMonthlyInput(db, msg.user_id, msg.year, msg.month);
    if (input) await saveMonthlyOutcome(db, msg.user_id, msg.year, msg.month, input.version, { status, error: text });
  }
}
