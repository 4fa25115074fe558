// Summaries as the API reports them: the summary row (if any) together with the input's marker,
// so that "done but the diary changed since" can be told apart from "done".
import type { Queryable } from './db.js';

export interface SummaryViewRow {
  /** NULL: no summary row. */
  status: 'queued' | 'processing' | 'batched' | 'done' | 'failed' | 'retrying' | null;
  summary: string | null;
  model: string | null;
  error: string | null;
  updated_at: Date | null;
  /** diaries.needs_daily_summary / diary_months.needs_monthly_summary; NULL when there is no input. */
  needs_summary: boolean | null;
}

/** Index: diary_summary_days (user_id, date) unique; diaries (user_id, date) unique. */
export async function dailySummaryView(db: Queryable, userId: string, date: string): Promise<SummaryViewRow> {
  const [row] = await db.query<SummaryViewRow>(
    `SELECT s.status, s.summary, s.model, s.error, s.updated_at, d.needs_daily_summary AS needs_summary
       FROM (SELECT $1::uuid AS user_id, $2::date AS date) k
       LEFT JOIN diary_summary_days s ON s.user_id = k.user_id AND s.date = k.date
       LEFT JOIN diaries d ON d.user_id = k.user_id AND d.date = k.date`,
    [userId, date],
  );
  return row as SummaryViewRow;
}

/** Index: diary_summary_months (user_id, year, month) unique; diary_months primary key. */
export async function monthlySummaryView(db: Queryable, userId: string, year: number, month: number): Promise<SummaryViewRow> {
  const [row] = await db.query<SummaryViewRow>(
    `SELECT s.status, s.summary, s.model, s.error, s.updated_at, m.needs_monthly_summary AS needs_summary
       FROM (SELECT $1::uuid AS user_id, $2::int AS year, $3::int AS month) k
       LEFT JOIN diary_summary_months s ON s.user_id = k.user_id AND s.year = k.year AND s.month = k.month
       LEFT JOIN diary_months m ON m.user_id = k.user_id AND m.year = k.year AND m.month = k.month`,
    [userId, year, month],
  );
  return row as SummaryViewRow;
}

export interface DiaryDayRow {
  date: string;
  content: string;
  created_at: Date;
  updated_at: Date;
  status: SummaryViewRow['status'];
  needs_summary: boolean;
}

/** A month's entries with each day's summary state. Index: diaries (user_id, date) range scan. */
export async function monthDays(db: Queryable, userId: string, year: number, month: number): Promise<DiaryDayRow[]> {
  return db.query<DiaryDayRow>(
    `SELECT d.date::text AS date, d.content, d.created_at, d.updated_at, s.status,
            d.needs_daily_summary AS needs_summary
       FROM diaries d
       LEFT JOIN diary_summary_days s ON s.user_id = d.user_id AND s.date = d.date
      WHERE d.user_id = $1 AND d.date >= make_date($2, $3, 1)
        AND d.date < (make_date($2, $3, 1) + interval '1 month')::date
      ORDER BY d.date`,
    [userId, year, month],
  );
}

/** True when the user has at least one diary in the month (diary_months keeps a row per such month). */
export async function monthHasDiaries(db: Queryable, userId: string, year: number, month: number): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM diaries WHERE user_id = $1 AND date >= make_date($2, $3, 1)
        AND date < (make_date($2, $3, 1) + interval '1 month')::date LIMIT 1`,
    [userId, year, month],
  );
  return rows.length > 0;
}
