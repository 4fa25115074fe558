// First run of `npm start`: a demo user with weeks of sample diaries, so summaries appear at once.
import { todayIn } from '../calendar.js';
import type { Db } from '../db/db.js';
import { saveDiary } from '../db/diaries.js';
import { findAccount, setAdmin, setPasswordHash } from '../db/accounts.js';
import { createUser, findUser } from '../db/users.js';
import { hashPassword } from '../server/passwords.js';
import { DEMO_SPAN_DAYS, sampleDiaries } from './sample-diaries.js';

export const DEMO_USER_ID = '00000000-0000-4000-8000-00000000d1a7';
export const DEMO_EMAIL = 'demo@example.com';
/** Printed by `npm start`; the demo is a local sandbox, and the account is an admin for the dashboard. */
export const DEMO_PASSWORD = 'demo-password';

/** Creates the demo user and diaries unless the user exists; returns true when it seeded. */
export async function seedDemo(db: Db, timezone: string, minChars: number, now = new Date()): Promise<boolean> {
  if (await findUser(db, DEMO_USER_ID)) {
    await ensureDemoSignIn(db);
    return false;
  }
  const today = todayIn(timezone, now);
  await db.transaction(async (tx) => {
    await createUser(tx, { id: DEMO_USER_ID, email: DEMO_EMAIL, name: 'Demo', timezone });
    for (const d of sampleDiaries(today, DEMO_SPAN_DAYS, minChars)) await saveDiary(tx, DEMO_USER_ID, d.date, d.content);
  });
  await ensureDemoSignIn(db);
  return true;
}

/** The demo user can sign in with DEMO_PASSWORD (unless a password was set since) and is an admin. */
async function ensureDemoSignIn(db: Db): Promise<void> {
  const account = await findAccount(db, DEMO_USER_ID);
  if (!account) return;
  if (!account.password_hash) await setPasswordHash(db, DEMO_USER_ID, await hashPassword(DEMO_PASSWORD));
  if (!account.is_admin) await setAdmin(db, DEMO_USER_ID, true);
}
