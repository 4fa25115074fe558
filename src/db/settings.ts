// A user's summary settings as the API sees them: user_llms (or its defaults) plus users.timezone.
import type { Queryable } from './db.js';

export interface SettingsRow {
  auto_summary_daily: boolean;
  auto_summary_monthly: boolean;
  provider: string | null;
  model: string | null;
  base_url: string | null;
  has_api_key: boolean;
  timezone: string | null;
}

/** A user without a user_llms row gets DESIGN.md's defaults: both auto summaries on, the system LLM. */
export async function readSettings(db: Queryable, userId: string): Promise<SettingsRow | undefined> {
  const [row] = await db.query<SettingsRow>(
    `SELECT coalesce(l.auto_summary_daily, true) AS auto_summary_daily,
            coalesce(l.auto_summary_monthly, true) AS auto_summary_monthly,
            l.provider, l.model, l.base_url,
            (l.api_key_encrypted IS NOT NULL) AS has_api_key,
            u.timezone
       FROM users u LEFT JOIN user_llms l ON l.user_id = u.id
      WHERE u.id = $1`,
    [userId],
  );
  return row;
}

/** A field left undefined keeps its value; null clears a nullable one (back to the system default). */
export interface SettingsChange {
  autoSummaryDaily?: boolean;
  autoSummaryMonthly?: boolean;
  provider?: string | null;
  model?: string | null;
  baseUrl?: string | null;
  /** Ciphertext (never the key itself), or null to remove the stored key. */
  apiKeyEncrypted?: string | null;
}

/**
 * Upsert on user_llms.user_id. updated_at is left to the table's trigger, which bumps it only when
 * the LLM itself changes (that is what gives permanently failed summaries another chance).
 */
export async function updateLlmSettings(db: Queryable, userId: string, c: SettingsChange): Promise<void> {
  const given = (v: unknown) => v !== undefined;
  await db.query(
    `INSERT INTO user_llms AS l (user_id, auto_summary_daily, auto_summary_monthly, provider, model, base_url, api_key_encrypted)
     VALUES ($1, coalesce($2::boolean, true), coalesce($3::boolean, true), $4::text, $5::text, $6::text, $7::text)
     ON CONFLICT (user_id) DO UPDATE SET
       auto_summary_daily = coalesce($2::boolean, l.auto_summary_daily),
       auto_summary_monthly = coalesce($3::boolean, l.auto_summary_monthly),
       provider = CASE WHEN $8::boolean THEN $4::text ELSE l.provider END,
       model = CASE WHEN $9::boolean THEN $5::text ELSE l.model END,
       base_url = CASE WHEN $10::boolean THEN $6::text ELSE l.base_url END,
       api_key_encrypted = CASE WHEN $11::boolean THEN $7::text ELSE l.api_key_encrypted END`,
    [
      userId,
      c.autoSummaryDaily ?? null,
      c.autoSummaryMonthly ?? null,
      c.provider ?? null,
      c.model ?? null,
      c.baseUrl ?? null,
      c.apiKeyEncrypted ?? null,
      given(c.provider),
      given(c.model),
      given(c.baseUrl),
      given(c.apiKeyEncrypted),
    ],
  );
}
