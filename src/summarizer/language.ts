// Japanese-or-English detection by script share, good enough to pick prompts and tokenizers.
import type { Language, SummaryEntry } from './summarizer.js';

/**
 * 'ja' when Japanese script carries a fair share of the text, else 'en'.
 * Latin words are weighted ~3 characters each because Japanese packs a word into fewer characters;
 * text with hiragana (particles, inflections) needs a smaller share than kanji/katakana-only text,
 * so "I had ラーメン" stays English while "今日はGoogle MeetでProject Xのreviewをした" is Japanese.
 */
export function detectLanguage(text: string): Language {
  let hiragana = 0;
  let otherJa = 0;
  let latinWords = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const latin = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (latin) {
      if (!inWord) latinWords++;
      inWord = true;
      continue;
    }
    inWord = false;
    if (c >= 0x3040 && c <= 0x309f) hiragana++;
    else if (
      (c >= 0x30a0 && c <= 0x30ff) || // katakana
      (c >= 0x31f0 && c <= 0x31ff) ||
      (c >= 0x3400 && c <= 0x4dbf) || // CJK extension A
      (c >= 0x4e00 && c <= 0x9fff) || // CJK unified
      (c >= 0xff66 && c <= 0xff9f) // half-width katakana
    ) otherJa++;
  }
  const ja = hiragana + otherJa;
  if (ja === 0) return 'en';
  const share = ja / (ja + latinWords * 3);
  return share >= (hiragana > 0 ? 0.2 : 0.5) ? 'ja' : 'en';
}

/** Language of a whole summary input, decided on all its text at once. */
export function detectEntriesLanguage(entries: readonly SummaryEntry[]): Language {
  // A sample is enough and keeps a month of diaries cheap.
  let sample = '';
  for (const e of entries) {
    sample += e.text.slice(0, 2000) + '\n';
    if (sample.length > 8000) break;
  }
  return detectLanguage(sample);
}
