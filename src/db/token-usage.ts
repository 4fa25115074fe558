// Tokens by model, user and day (llm_token_usage), as the dashboard and `status` read them.
import type { UsageRow } from '../llm-prices.js';
import type { Queryable } from './db.js';
import { TOKENS_BY_MODEL, TOKENS_BY_USER_MODEL_DAY } from './sql/token-usage.js';

/** The first day of `at`'s month and of the next, in UTC (llm_token_usage counts UTC days). */
export function monthRange(at: Date): { from: string; to: string; month: string } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return { from: iso(new Date(Date.UTC(y, m, 1))), to: iso(new Date(Date.UTC(y, m + 1, 1))), month: iso(new Date(Date.UTC(y, m, 1))).slice(0, 7) };
}

export async function tokensByModel(db: Queryable, from: string, to: string): Promise<UsageRow[]> {
  const rows = await db.query<{ model: string; batch: boolean; input_tokens: string; output_tokens: string }>(TOKENS_BY_MODEL, [from, to]);
  return rows.map((r) => ({ model: r.model, batch: r.batch, inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens) }));
}

export interface UserTokenRow extends UsageRow {
  day: string;
  userId: string;
  email: string | null;
  calls: number;
}

export async function tokensByUserModelDay(
  db: Queryable,
  opts: { from: string; to: string; userId?: string; limit?: number },
): Promise<UserTokenRow[]> {
  const rows = await db.query<{ day: string; user_id: string; email: string | null; model: string; batch: boolean; input_tokens: string; output_tokens: string; calls: string }>(
    TOKENS_BY_USER_MODEL_DAY,
    [opts.from, opts.to, opts.userId ?? null, opts.limit ?? 1000],
  );
  return rows.map((r) => ({
    day: r.day, userId: r.user_id, email: r.email, model: r.model, batch: r.batch,
    inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens), calls: Number(r.calls),
  }));
}
