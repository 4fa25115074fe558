// A monthly summary as data: the JSON schema asked of endpoints with structured output (notable
// `days[]` and the month's `trend`), reading such an answer or a plain-text one into that shape,
// and rendering it ourselves, so the stored format does not depend on a model obeying prose:
// one line per day in date order, labelled in the language of its text, no near-duplicates,
// spread over the month's weeks, within the character budget.
import { z } from 'zod';
import { MAX_LABEL, MIN_LINE_BODY, labelledLine, parseDayLabel, weekOfMonth } from './month-days.js';
import { DuplicateFilter } from './near-duplicate.js';
import { charLength, oneLine, truncate } from './sentences.js';
import type { SummaryEntry } from './summarizer.js';
import { detectLanguage } from './language.js';
import { cleanInline } from './plain-answer.js';

export interface MonthlyAnswer {
  /** `date` as the model wrote it: YYYY-MM-DD asked for; "19", "19日" or "Oct 19" accepted. */
  days: { date: string; text: string }[];
  trend: string;
}

/** The `response_format` of the final monthly request (OpenAI structured outputs; Ollama, vLLM and llama.cpp accept it too). */
export const MONTHLY_RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'monthly_summary',
    strict: true,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['days', 'trend'],
      properties: {
        days: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['date', 'text'],
            properties: { date: { type: 'string', description: 'YYYY-MM-DD' }, text: { type: 'string' } },
          },
        },
        trend: { type: 'string' },
      },
    },
  },
} as const;

/** At most this many day lines, whatever the model sends. */
const MAX_DAYS = 5;

const answerSchema = z.object({
  days: z.array(z.object({ date: z.union([z.string(), z.number()]).transform(String), text: z.string() })),
  trend: z.string(),
});

/** The structured answer, or undefined when the reply is not the JSON asked for (a code fence around it is tolerated). */
export function parseStructuredAnswer(content: string): MonthlyAnswer | undefined {
  const unfenced = content.trim().replace(/^```[a-z]*\s*\n?/i, '').replace(/\n?```\s*$/, '');
  let json: unknown;
  try {
    json = JSON.parse(unfenced);
  } catch {
    return undefined;
  }
  const parsed = answerSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** A cleaned plain-text answer read as day lines ("19日: …") and the rest as the trend. */
export function parsePlainAnswer(cleaned: string): MonthlyAnswer {
  const days: MonthlyAnswer['days'] = [];
  const rest: string[] = [];
  for (const raw of cleaned.split('\n')) {
    const line = raw.trim();
    const labelled = parseDayLabel(line);
    if (labelled) days.push({ date: labelled.label, text: labelled.body });
    else if (line !== '') rest.push(line);
  }
  return { days, trend: rest.join(' ') };
}

/** The YYYY-MM-DD of a day the model named, if it is a day of `month` (YYYY-MM). */
function resolveDate(raw: string, month: string): string | undefined {
  const iso = /^(\d{4}-\d{2})-(\d{2})$/.exec(raw.trim());
  let day: number;
  if (iso) {
    if (iso[1] !== month) return undefined;
    day = Number(iso[2]);
  } else if (/^\d{1,2}$/.test(raw.trim())) day = Number(raw.trim());
  else {
    const label = parseDayLabel(`${raw.trim()}: .`);
    if (!label || (label.month !== undefined && label.month !== Number(month.slice(5)))) return undefined;
    day = label.day;
  }
  const daysInMonth = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5)), 0)).getUTCDate();
  return day >= 1 && day <= daysInMonth ? `${month}-${String(day).padStart(2, '0')}` : undefined;
}

/** The month the entries are of (the most common YYYY-MM). */
function monthOf(entries: readonly SummaryEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.date.slice(0, 7), (counts.get(e.date.slice(0, 7)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
}

/**
 * The summary text for an answer: valid, distinct days of the month (weeks not yet shown first,
 * at most MAX_DAYS), one line each in date order, then the trend; at most `maxChars` characters.
 * Undefined when the answer says nothing usable.
 */
export function renderMonthlyAnswer(answer: MonthlyAnswer, entries: readonly SummaryEntry[], maxChars: number): string | undefined {
  const month = monthOf(entries);
  const seen = new DuplicateFilter();
  const days: { date: string; text: string }[] = [];
  for (const d of answer.days) {
    const date = resolveDate(d.date, month);
    const text = oneLine(cleanInline(d.text));
    let body = text; // "19日: …" inside the text: the label is ours to write
    for (let l = parseDayLabel(body); l; l = parseDayLabel(body)) body = l.body.trim();
    if (!date || body === '' || days.some((x) => x.date === date) || !seen.accepts(body)) continue;
    seen.add(body);
    days.push({ date, text: body });
  }
  const picked = spread(days);
  let trend = oneLine(cleanInline(answer.trend));
  // The trend line must not read as a day line ("5日: 5日: …" included).
  for (let l = parseDayLabel(trend); l; l = parseDayLabel(trend)) trend = l.body.trim();
  if (picked.length === 0 && trend === '') return undefined;
  if (charLength(trend) > maxChars) trend = truncate(trend, maxChars, detectLanguage(trend));
  let k = picked.length;
  while (k > 0 && (maxChars - charLength(trend) - k) / k < MIN_LINE_BODY + MAX_LABEL) k--;
  const lines = fitLines(picked.slice(0, k), maxChars - charLength(trend) - k);
  return [...lines, ...(trend ? [trend] : [])].join('\n');
}

/** Up to MAX_DAYS days, those from weeks not yet shown first; in date order. */
function spread(days: readonly { date: string; text: string }[]): { date: string; text: string }[] {
  const weeks = new Set<number>();
  const first: { date: string; text: string }[] = [];
  const rest: { date: string; text: string }[] = [];
  for (const d of days) {
    const week = weekOfMonth(d.date);
    (weeks.has(week) ? rest : first).push(d);
    weeks.add(week);
  }
  return [...first, ...rest].slice(0, MAX_DAYS).sort((a, b) => (a.date < b.date ? -1 : 1));
}

/**
 * Lines within `room`: the shortest take what they need, the longer ones share what is left.
 * A cut can make two lines alike; the later of such a pair is dropped.
 */
function fitLines(days: readonly { date: string; text: string }[], room: number): string[] {
  const order = days.map((d, i) => ({ d, i })).sort((a, b) => charLength(a.d.text) - charLength(b.d.text) || a.i - b.i);
  const out = new Array<{ line: string; body: string } | undefined>(days.length);
  let left = room;
  order.forEach(({ d, i }, n) => {
    const line = labelledLine(d.date, d.text, Math.floor(left / (order.length - n)));
    if (line) {
      out[i] = line;
      left -= charLength(line.line);
    }
  });
  const seen = new DuplicateFilter();
  const lines: string[] = [];
  for (const l of out) {
    if (!l || !seen.accepts(l.body)) continue;
    seen.add(l.body);
    lines.push(l.line);
  }
  return lines;
}
