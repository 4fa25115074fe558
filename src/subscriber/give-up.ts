// What the database says about a job its transport gave up on after MAX_DELIVERIES.
import type { Db } from '../db/db.js';
import { readDailyInput, readMonthlyInput, saveDailyOutcome, saveMonthlyOutcome } from '../db/summaries.js';
import type { JobMessage } from '../messages.js';
import type { GiveUp } from '../transport/transport.js';

/**
 * Dead-lettered: mark the row `failed` so the scheduler stops republishing it (an operator replays
 * it from the dead letters). Otherwise nothing keeps the job: the row stays `retrying`, so the next
 * tick publishes it again. Either way a summary already done for this input (another delivery of
 * the job finished meanwhile) is left as it is: the outcome statement never lets a failure replace
 * a done summary of the same input version.
 */
export async function saveGiveUp(db: Db, msg: JobMessage, error: string, deliveries: number, outcome: GiveUp): Promise<void> {
  const status = outcome.deadLettered ? 'failed' : 'retrying';
  const text = `gave up after ${deliveries} deliveries: ${error}`;
  if (msg.type === 'daily_summary') {
    const input = await readDailyInput(db, msg.user_id, msg.date);
    if (input) await saveDailyOutcome(db, msg.user_id, msg.date, input.version, { status, error: text });
  } else {
    const input = await readMonthlyInput(db, msg.user_id, msg.year, msg.month);
    if (input) await saveMonthlyOutcome(db, msg.user_id, msg.year, msg.month, input.version, { status, error: text });
  }
}
