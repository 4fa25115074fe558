// "Triggered by saving a diary" (ADR-0004): after a save, publish the day's summary job when the
// day is over in the user's time zone, the entry is long enough, auto daily summaries are on and
// the summary is not already current. Otherwise say why not, so the client can show it.
import type { Db } from '../db/db.js';
import type { SavedDiaryRow } from '../db/diary-save.js';
import { setDailyStatus } from '../db/summaries.js';
import { findUserLlm } from '../db/users.js';
import type { Logger } from '../logger.js';
import { dailyMessage } from '../messages.js';
import type { Transport } from '../transport/transport.js';
import { todayIn } from '../calendar.js';
import { publishJob } from './publish-job.js';

export interface PublishOnSaveDeps {
  db: Db;
  transport: Pick<Transport, 'publish'>;
  logger: Logger;
  minChars: number;
  now?: () => Date;
}

export interface PublishOnSaveResult {
  queued: boolean;
  note: string;
}

export async function publishOnSave(
  deps: PublishOnSaveDeps,
  caller: { userId: string; timezone: string },
  saved: SavedDiaryRow,
): Promise<PublishOnSaveResult> {
  const today = todayIn(caller.timezone, deps.now?.() ?? new Date());
  if (saved.date === today) {
    return { queued: false, note: `today's entry is summarized after the day ends (${caller.timezone}), by the scheduler` };
  }
  if (saved.date > today) {
    return { queued: false, note: `a future day is summarized after it ends (${caller.timezone}), by the scheduler` };
  }
  if (saved.content_chars < deps.minChars) {
    return { queued: false, note: `too short for a summary: ${saved.content_chars} of ${deps.minChars} characters` };
  }
  const llm = await findUserLlm(deps.db, caller.userId);
  if (llm && !llm.auto_summary_daily) return { queued: false, note: 'automatic daily summaries are off in your settings' };
  if (!saved.needs_daily_summary) return { queued: false, note: 'the summary is already up to date' };

  // Marked queued before publishing: a subscriber that finishes first then writes "done" over
  // "queued", never the other way round.
  await setDailyStatus(deps.db, caller.userId, saved.date, 'queued');
  const ok = await publishJob(deps.transport, dailyMessage(caller.userId, saved.date, { trigger: 'diary_saved' }), deps.logger);
  if (!ok) {
    return { queued: false, note: 'saved; the summary queue is unreachable right now, so the scheduler will pick this day up on its next run' };
  }
  return { queued: true, note: '' };
}
