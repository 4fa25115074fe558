// Saving a diary for the API: the upsert of diaries.ts plus what publish-on-save must know about
// the row afterwards (its length and whether its summary is current), in one round trip.
import type { Queryable } from './db.js';

export interface SavedDiaryRow {
  date: string;
  content: string;
  created_at: Date;
  updated_at: Date;
  /** Code points, as SUMMARY_MIN_CHARS counts them. */
  content_chars: number;
  /** Set by the diaries trigger: false when an up-to-date summary exists (saving identical text). */
  needs_daily_summary: boolean;
}

/** Creates or replaces the caller's entry of a date. Upsert on diaries (user_id, date). */
export async function saveDiaryForUser(db: Queryable, userId: string, date: string, content: string): Promise<SavedDiaryRow> {
  const [row] = await db.query<SavedDiaryRow>(
    `INSERT INTO diaries AS d (user_id, date, content) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, date) DO UPDATE SET content = excluded.content
     RETURNING date::text AS date, content, created_at, updated_at, content_chars, needs_daily_summary`,
    [userId, date, content],
  );
  return row as SavedDiaryRow;
}
