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

/**
 * The dominant language of a summary input: the language most of its entries (days) are written
 * in, each judged on its first 2,000 characters; a tie goes to the language with more text.
 * Not one verdict on all the text at once: a little Japanese makes a text Japanese (see above),
 * which would give a mostly English month a Japanese theme line.
 */
export function detectEntriesLanguage(entries: readonly SummaryEntry[]): Language {
  const days = { ja: 0, en: 0 };
  const chars = { ja: 0, en: 0 };
  for (const e of entries) {
    const sample = e.text.slice(0, 2000);
    if (sample.trim() === '') continue;
    const language = detectLanguage(sample);
    days[language]++;
    chars[language] += sample.length;
  }
  if (days.ja !== days.en) return days.ja > days.en ? 'ja' : 'en';
  return chars.ja > chars.en ? 'ja' : 'en';
}
