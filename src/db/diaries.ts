// Diary entries: one per user and date (upsert on the unique key).
import type { Queryable } from './db.js';

export interface DiaryRow {
  id: string;
  user_id: string;
  date: string;
  content: string;
  created_at: Date;
  updated_at: Date;
}

/** Creates or replaces the entry of a date. Upsert on diaries (user_id, date). */
export async function saveDiary(db: Queryable, userId: string, date: string, content: string): Promise<DiaryRow> {
  const [row] = await db.query<DiaryRow>(
    `INSERT INTO diaries AS d (user_id, date, content) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, date) DO UPDATE SET content = excluded.content
     RETURNING id::text, user_id::text, date::text AS date, content, created_at, updated_at`,
    [userId, date, content],
  );
  return row as DiaryRow;
}

/** Index: diaries (user_id, date) unique. */
export async function getDiary(db: Queryable, userId: string, date: string): Promise<DiaryRow | undefined> {
  const [row] = await db.query<DiaryRow>(
    `SELECT id::text, user_id::text, date::text AS date, content, created_at, updated_at
       FROM diaries WHERE user_id = $1 AND date = $2`,
    [userId, date],
  );
  return row;
}

/** Deletes an entry (its daily summary goes with it, by trigger); true when one existed. */
export async function deleteDiary(db: Queryable, userId: string, date: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM diaries WHERE user_id = $1 AND date = $2 RETURNING id', [userId, date]);
  return rows.length > 0;
}
