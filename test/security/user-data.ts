// A user's rows in every table that holds user data, as one comparable value: what a request of
// another user (or a refused one) must leave exactly as it was.
import type { Queryable } from '../../src/db/db.js';

const TABLES: ReadonlyArray<[table: string, key: string]> = [
  ['users', 'id'],
  ['diaries', 'user_id'],
  ['diary_months', 'user_id'],
  ['diary_summary_days', 'user_id'],
  ['diary_summary_months', 'user_id'],
  ['user_llms', 'user_id'],
];

export async function userRows(db: Queryable, userId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of TABLES) {
    const rows = await db.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${key} = $1 ORDER BY 1::text`, [userId]);
    out[table] = rows.map((r) => r.row).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

/** Every row of the user-data tables (counts and content), for "a rejected write leaves nothing behind". */
export async function allRows(db: Queryable): Promise<string> {
  const parts: string[] = [];
  for (const [table] of TABLES) {
    const rows = await db.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${table} t`);
    parts.push(`${table}:${rows.map((r) => JSON.stringify(r.row)).sort().join('\n')}`);
  }
  return parts.join('\n--\n');
}
