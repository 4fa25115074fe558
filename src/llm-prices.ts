// LLM_PRICES and what the month's tokens cost at them (issue 17 §4).
//
// The setting lists each model's price per million tokens, input then output, in the operator's
// currency (the dashboard names none): `gpt-4o-mini=0.15/0.60,gpt-4o=2.50/10`. A model name may
// hold any character but `=` and `,`. Tokens answered through a provider batch cost
// BATCH_PRICE_SHARE of that (OpenAI's Batch API: 50 %).
import { z } from 'zod';

/** The share of the live price a provider batch costs. */
export const BATCH_PRICE_SHARE = 0.5;

export interface ModelPrice {
  /** Per million input (prompt) tokens. */
  input: number;
  /** Per million output (completion) tokens. */
  output: number;
}

// A decimal number written plainly: "1e3" or "0x10" are not prices anyone means to type.
const price = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'a price such as 0.15')
  .transform(Number)
  .pipe(z.number().max(1_000_000));
const entry = z
  .string()
  .regex(/^[^=,]+=[^=,/]+\/[^=,/]+$/, 'expected model=input/output')
  .transform((s) => {
    const eq = s.indexOf('=');
    const [input, output] = s.slice(eq + 1).split('/') as [string, string];
    return { model: s.slice(0, eq).trim(), input: input.trim(), output: output.trim() };
  })
  .pipe(z.object({ model: z.string().min(1).max(200), input: price, output: price }));

/**
 * Parses LLM_PRICES; throws an Error naming the bad entry. Empty or unset: no prices (the
 * dashboard shows tokens only).
 */
export function parsePrices(value: string | undefined): ReadonlyMap<string, ModelPrice> {
  const prices = new Map<string, ModelPrice>();
  if (value === undefined || value.trim() === '') return prices;
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const parsed = entry.safeParse(item);
    if (!parsed.success) {
      throw new Error(`${JSON.stringify(item)} is not model=input/output (prices per million tokens, e.g. gpt-4o-mini=0.15/0.60)`);
    }
    if (prices.has(parsed.data.model)) throw new Error(`${JSON.stringify(parsed.data.model)} is priced twice`);
    prices.set(parsed.data.model, { input: parsed.data.input, output: parsed.data.output });
  }
  return prices;
}

export interface UsageRow {
  model: string;
  batch: boolean;
  inputTokens: number;
  outputTokens: number;
}

export interface ModelCost {
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Tokens of this model answered through a batch. */
  batchTokens: number;
  /** Undefined when the model has no price. */
  cost: number | undefined;
}

export interface CostReport {
  inputTokens: number;
  outputTokens: number;
  /** What the priced models' tokens cost (batch tokens at BATCH_PRICE_SHARE). */
  cost: number;
  /** What the same tokens would have cost live. */
  liveCost: number;
  /** Models with tokens but no price: their tokens are not in `cost`. */
  unpriced: string[];
  /** Share of all tokens answered through a provider batch, 0..1 (0 with no tokens). */
  batchShare: number;
  models: ModelCost[];
}

/** Tokens and their cost at `prices`, per model and in all. */
export function costOf(rows: readonly UsageRow[], prices: ReadonlyMap<string, ModelPrice>): CostReport {
  const byModel = new Map<string, ModelCost>();
  let cost = 0;
  let liveCost = 0;
  let batchTokens = 0;
  for (const r of rows) {
    const m = byModel.get(r.model) ?? { model: r.model, inputTokens: 0, outputTokens: 0, batchTokens: 0, cost: prices.has(r.model) ? 0 : undefined };
    m.inputTokens += r.inputTokens;
    m.outputTokens += r.outputTokens;
    if (r.batch) {
      m.batchTokens += r.inputTokens + r.outputTokens;
      batchTokens += r.inputTokens + r.outputTokens;
    }
    const p = prices.get(r.model);
    if (p) {
      const live = (r.inputTokens * p.input + r.outputTokens * p.output) / 1_000_000;
      const paid = r.batch ? live * BATCH_PRICE_SHARE : live;
      m.cost = (m.cost ?? 0) + paid;
      cost += paid;
      liveCost += live;
    }
    byModel.set(r.model, m);
  }
  const models = [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model));
  const inputTokens = models.reduce((s, m) => s + m.inputTokens, 0);
  const outputTokens = models.reduce((s, m) => s + m.outputTokens, 0);
  const total = inputTokens + outputTokens;
  return {
    inputTokens,
    outputTokens,
    cost,
    liveCost,
    unpriced: models.filter((m) => m.cost === undefined && m.inputTokens + m.outputTokens > 0).map((m) => m.model),
    batchShare: total === 0 ? 0 : batchTokens / total,
    models,
  };
}
