// Days of a month as a summary shows them: the line labels ("19日: …" / "Oct 19: …"), read back
// from any answer, and the month's weeks (days 1–7, 8–14, 15–21, 22–28, 29–31) that lines spread over.
import { detectLanguage } from './language.js';
import { charLength, truncate } from './sentences.js';
import type { Language } from './summarizer.js';

/** Less room than this for a line's text and the line is not worth writing. */
export const MIN_LINE_BODY = 8;
/** The longest label with its separator ("Sep 30: "). */
export const MAX_LABEL = 8;

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "19日" or "Oct 19" for a YYYY-MM-DD date; the date itself when it has no day. */
export function dayLabel(date: string, language: Language): string {
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  if (!Number.isInteger(day) || day < 1) return date;
  return language === 'ja' ? `${day}日` : `${MONTHS_EN[month - 1] ?? date.slice(0, 7)} ${day}`;
}

export interface LabelledLine {
  /** The label as written, without its colon: "19日", "Oct 19". */
  label: string;
  day: number;
  /** 1–12 when the label names the month ("Oct 19", "10月19日"). */
  month?: number;
  language: Language;
  body: string;
}

const JA_LABEL = /^((?:(\d{1,2})月)?(\d{1,2})日(?:[（(][^）)]{1,3}[）)])?)\s*[:：]\s*(.*)$/u;
const EN_LABEL = /^((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?)\s*[:：]\s*(.*)$/iu;

/** Reads a day line's label, "19日: …", "10月19日（月）: …", "Oct 19: …", "October 19th: …"; undefined for other lines. */
export function parseDayLabel(line: string): LabelledLine | undefined {
  const ja = JA_LABEL.exec(line);
  if (ja) {
    const day = Number(ja[3]);
    if (day < 1 || day > 31) return undefined;
    return { label: ja[1] as string, day, ...(ja[2] ? { month: Number(ja[2]) } : {}), language: 'ja', body: ja[4] as string };
  }
  const en = EN_LABEL.exec(line);
  if (en) {
    const day = Number(en[3]);
    if (day < 1 || day > 31) return undefined;
    const month = MONTHS_EN.findIndex((m) => m.toLowerCase() === (en[2] as string).toLowerCase()) + 1;
    return { label: en[1] as string, day, month, language: 'en', body: en[4] as string };
  }
  return undefined;
}

/** 0 for days 1–7, 1 for 8–14, … 4 for 29–31: calendar-neutral, so it needs no first weekday. */
export function weekOfDay(day: number): number {
  return Math.floor((day - 1) / 7);
}

/** weekOfDay of a YYYY-MM-DD date. */
export function weekOfMonth(date: string): number {
  return weekOfDay(Number(date.slice(8, 10)));
}

/**
 * "19日: text" or "Oct 19: text" within `room` characters (the text cut with "…" when needed),
 * labelled in the language of the text as shown; undefined when there is too little room.
 * `language`: the text's, when the caller knows it already.
 */
export function labelledLine(date: string, text: string, room: number, language = detectLanguage(text)): { line: string; body: string } | undefined {
  // A label is followed by one space and the text: space the text starts with (U+205F, say, which
  // the sentence splitter keeps) would show as a second one.
  text = text.trim();
  for (let attempt = 0; attempt < 2; attempt++) {
    const prefix = `${dayLabel(date, language)}: `;
    const max = room - charLength(prefix);
    if (max < MIN_LINE_BODY) return undefined;
    const body = charLength(text) <= max ? text : truncate(text, max, language);
    // A cut text can read as the other language; then it gets that language's label.
    const shown = detectLanguage(body);
    if (shown === language) return { line: prefix + body, body };
    language = shown;
  }
  return undefined;
}
