// Chat prompts in the diary's language: plain-text answers, and the final monthly request that asks
// for structured output (a JSON schema of notable days and the month's trend) where the endpoint has it.
import type { Language, SummaryEntry, SummaryKind } from './summarizer.js';

/** The length a monthly summary is asked for, and held to (both providers). */
export const MONTHLY_MAX_CHARS = 300;

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** Which stage of a (possibly map-reduced) summary a prompt is for. */
export type PromptStage =
  | { stage: 'final'; fromParts: boolean }
  | { stage: 'map'; part: number; parts: number };

const SYSTEM: Record<Language, Record<SummaryKind, string>> = {
  ja: {
    daily:
      'あなたは日記の要約を書くアシスタントです。渡された一日分の日記を日本語で要約してください。\n' +
      '出力はプレーンテキストのみ（Markdown・見出し・前置きは不要）で、次の形式にしてください:\n' +
      '・要点（最大3行、1行1つ）\n' +
      '登場人物: 主な人物を最大3人（いなければこの行は省略）\n' +
      '日記に書かれていないことは書かないでください。',
    monthly:
      'あなたは日記の要約を書くアシスタントです。渡された一か月分の日記（日ごとの要約を含む）を日本語でまとめてください。\n' +
      `出力はプレーンテキストのみ（Markdown・前置きは不要）で、全体で${MONTHLY_MAX_CHARS}文字以内にしてください:\n` +
      '注目すべき日を最大3つ、1行ずつ「n日: 出来事」の形式で\n' +
      '最後の1行に、その月全体の傾向\n' +
      '日記に書かれていないことは書かないでください。',
  },
  en: {
    daily:
      'You write summaries of diary entries. Summarize the day below in English.\n' +
      'Answer in plain text only (no Markdown, headings or preamble), in this form:\n' +
      '- up to three bullet points, one per line\n' +
      'People: up to three key people (omit this line if there are none)\n' +
      'Do not add anything the diary does not say.',
    monthly:
      'You write summaries of diaries. Summarize the month below (some days are given as their daily summaries) in English.\n' +
      `Answer in plain text only (no Markdown or preamble), at most ${MONTHLY_MAX_CHARS} characters in total:\n` +
      'up to three notable days, one line each, written "Mon D: what happened" (e.g. "Jan 5: ...")\n' +
      "a last line on the month's overall trend\n" +
      'Do not add anything the diary does not say.',
  },
};

const MAP_SYSTEM: Record<Language, Record<SummaryKind, string>> = {
  ja: {
    daily:
      '長い日記を部分ごとに要約しています。渡された部分を日本語で簡潔に要約してください。' +
      '出来事・人物・気持ちを落とさず、プレーンテキストの箇条書き（「・」始まり）で、元の半分以下の長さにしてください。',
    monthly:
      '一か月分の日記を部分ごとに要約しています。渡された日々について、日付ごとに1行「n日: 要点」を日本語のプレーンテキストで書いてください。' +
      '人物と大事な出来事を落とさないでください。',
  },
  en: {
    daily:
      'A long diary entry is being summarized in parts. Summarize the part below in English, keeping events, people and feelings, ' +
      'as plain-text bullet points starting with "- ", at most half its length.',
    monthly:
      "A month of diaries is being summarized in parts. For each day below write one plain-text English line \"Mon D: key points\", " +
      'keeping people and important events.',
  },
};

const LABELS: Record<Language, { summary: string; parts: string; part: (k: number, n: number) => string }> = {
  ja: {
    summary: '（日次要約）',
    parts: '日記が長いため、以下は部分ごとの要約です。これらを合わせて一つの要約にしてください。',
    part: (k, n) => `（全${n}部分のうち第${k}部分）`,
  },
  en: {
    summary: ' (daily summary)',
    parts: 'The diary was long, so what follows are summaries of its parts. Combine them into one summary.',
    part: (k, n) => `(part ${k} of ${n})`,
  },
};

function renderEntries(entries: readonly SummaryEntry[], language: Language): string {
  return entries
    .map((e) => `[${e.date}${e.isSummary ? LABELS[language].summary : ''}]\n${e.text}`)
    .join('\n\n');
}

/** The messages for one Chat Completions request. */
export function buildMessages(kind: SummaryKind, language: Language, entries: readonly SummaryEntry[], stage: PromptStage): ChatMessage[] {
  const labels = LABELS[language];
  if (stage.stage === 'map') {
    return [
      { role: 'system', content: MAP_SYSTEM[language][kind] },
      { role: 'user', content: `${labels.part(stage.part, stage.parts)}\n\n${renderEntries(entries, language)}` },
    ];
  }
  return finalMessages(SYSTEM[language][kind], language, entries, stage.fromParts);
}

function finalMessages(system: string, language: Language, entries: readonly SummaryEntry[], fromParts: boolean): ChatMessage[] {
  const body = renderEntries(entries, language);
  return [
    { role: 'system', content: system },
    { role: 'user', content: fromParts ? `${LABELS[language].parts}\n\n${body}` : body },
  ];
}

/** Characters a prompt adds around the entries' text (headers, labels), for budgeting. */
export function entryOverhead(entry: SummaryEntry): number {
  return entry.date.length + 24;
}

const STRUCTURED_MONTHLY: Record<Language, string> = {
  ja:
    'あなたは日記の要約を書くアシスタントです。渡された一か月分の日記（日ごとの要約を含む）を日本語でまとめ、指定されたJSONで答えてください。\n' +
    'days: 注目すべき日を3〜4つ。なるべく月の別々の週から選び、同じ出来事や同じ文を繰り返さないでください。' +
    'date は日記の見出しの日付（YYYY-MM-DD）、text はその日の出来事を一文（50文字以内）で。\n' +
    'trend: その月全体の傾向を一文で。\n' +
    '日記に書かれていないことは書かないでください。',
  en:
    'You write summaries of diaries. Summarize the month below (some days are given as their daily summaries) in English, answering in the JSON asked for.\n' +
    'days: three or four notable days, from different weeks of the month where possible, never repeating an event or a sentence; ' +
    'date is the date of the diary header (YYYY-MM-DD), text is one sentence (at most 80 characters) on what happened that day.\n' +
    "trend: one sentence on the month's overall trend.\n" +
    'Do not add anything the diary does not say.',
};

/** The final monthly request for an endpoint with structured output (see structured-summary.ts). */
export function buildStructuredMonthlyMessages(language: Language, entries: readonly SummaryEntry[], fromParts: boolean): ChatMessage[] {
  return finalMessages(STRUCTURED_MONTHLY[language], language, entries, fromParts);
}
