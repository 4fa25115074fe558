// Users and their LLM settings rows.
import type { Queryable } from './db.js';

export interface UserRow {
  id: string;
  email: string | null;
  name: string;
  timezone: string | null;
}

/** The user's LLM override columns as a job needs them; null means "the system default". */
export interface UserLlmSettings {
  provider: string | null;
  model: string | null;
  baseUrl: string | null;
  apiKeyEncrypted: string | null;
}

export interface UserLlmRow {
  auto_summary_daily: boolean;
  auto_summary_monthly: boolean;
  provider: string | null;
  model: string | null;
  base_url: string | null;
  api_key_encrypted: string | null;
  updated_at: Date;
}

export async function createUser(
  db: Queryable,
  user: { id?: string; email: string | null; name?: string; timezone?: string | null },
): Promise<UserRow> {
  const [row] = await db.query<UserRow>(
    `INSERT INTO users (id, email, name, timezone) VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4)
     RETURNING id::text, email, name, timezone`,
    [user.id ?? null, user.email, user.name ?? '', user.timezone ?? null],
  );
  return row as UserRow;
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await db.query<UserRow>('SELECT id::text, email, name, timezone FROM users WHERE id = $1', [id]);
  return row;
}

/** The user's LLM settings row; undefined means the system defaults (both auto summaries on). */
export async function findUserLlm(db: Queryable, userId: string): Promise<UserLlmRow | undefined> {
  const [row] = await db.query<UserLlmRow>(
    `SELECT auto_summary_daily, auto_summary_monthly, provider, model, base_url, api_key_encrypted, updated_at
       FROM user_llms WHERE user_id = $1`,
    [userId],
  );
  return row;
}
