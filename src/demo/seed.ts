// First run of `npm start`: a demo user with weeks of sample diaries, so summaries appear at once.
import { todayIn } from '../calendar.js';
import type { Db } from '../db/db.js';
import { saveDiary } from '../db/diaries.js';
import { findAccount, setAdmin, setPasswordHash } from '../db/accounts.js';
import { createUser, findUser } from '../db/users.js';
import { hashPassword, verifyPassword } from '../server/passwords.js';
import { DEMO_SPAN_DAYS, sampleDiaries } from './sample-diaries.js';

export const DEMO_USER_ID = '00000000-0000-4000-8000-00000000d1a7';
export const DEMO_EMAIL = 'demo@example.com';
/** The fixed password demos had before it was made up per DATA_DIR; replaced where it is still set. */
const OLD_DEMO_PASSWORD = 'demo-password';

/**
 * Creates the demo user and diaries unless the user exists; returns true when it seeded. The
 * account (an admin, for the dashboard) signs in with `password` (see demo-password.ts).
 */
export async function seedDemo(db: Db, timezone: string, minChars: number, password: string, now = new Date()): Promise<boolean> {
  if (await findUser(db, DEMO_USER_ID)) {
    await ensureDemoSignIn(db, password);
    return false;
  }
  const today = todayIn(timezone, now);
  await db.transaction(async (tx) => {
    await createUser(tx, { id: DEMO_USER_ID, email: DEMO_EMAIL, name: 'Demo', timezone });
    for (const d of sampleDiaries(today, DEMO_SPAN_DAYS, minChars)) await saveDiary(tx, DEMO_USER_ID, d.date, d.content);
  });
  await ensureDemoSignIn(db, password);
  return true;
}

/** The demo user can sign in with `password` (unless another was set since) and is an admin. */
async function ensureDemoSignIn(db: Db, password: string): Promise<void> {
  const account = await findAccount(db, DEMO_USER_ID);
  if (!account) return;
  const stale = !account.password_hash || (await verifyPassword(OLD_DEMO_PASSWORD, account.password_hash));
  if (stale) await setPasswordHash(db, DEMO_USER_ID, await hashPassword(password));
  if (!account.is_admin) await setAdmin(db, DEMO_USER_ID, true);
}
