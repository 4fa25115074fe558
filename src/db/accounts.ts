// Accounts: users with a password hash and an admin flag (migration 0003), for the auth service.
import type { Queryable } from './db.js';

export interface AccountRow {
  id: string;
  email: string | null;
  name: string;
  timezone: string | null;
  is_admin: boolean;
  password_hash: string | null;
}

/** Index: users primary key. */
export async function findAccount(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.query<AccountRow>(
    'SELECT id::text, email, name, timezone, is_admin, password_hash FROM users WHERE id = $1',
    [id],
  );
  return row;
}

/** Emails are stored lower-cased (see normalizeEmail), so this is an exact lookup. Index: users.email unique. */
export async function findAccountByEmail(db: Queryable, email: string): Promise<AccountRow | undefined> {
  const [row] = await db.query<AccountRow>(
    'SELECT id::text, email, name, timezone, is_admin, password_hash FROM users WHERE email = $1',
    [email],
  );
  return row;
}

/** Creates an account; undefined when the email is taken (unique violation, no exception to catch). */
export async function createAccount(
  db: Queryable,
  account: { email: string; name: string; timezone: string | null; passwordHash: string },
): Promise<AccountRow | undefined> {
  const [row] = await db.query<AccountRow>(
    `INSERT INTO users (email, name, timezone, password_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (email) DO NOTHING
     RETURNING id::text, email, name, timezone, is_admin, password_hash`,
    [account.email, account.name, account.timezone, account.passwordHash],
  );
  return row;
}

export async function setPasswordHash(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
}

export async function setAdmin(db: Queryable, id: string, admin: boolean): Promise<void> {
  await db.query('UPDATE users SET is_admin = $2, updated_at = now() WHERE id = $1', [id, admin]);
}

export async function setTimezone(db: Queryable, id: string, timezone: string | null): Promise<void> {
  await db.query('UPDATE users SET timezone = $2, updated_at = now() WHERE id = $1', [id, timezone]);
}
