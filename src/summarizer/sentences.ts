// Sentence segmentation for Japanese and English diaries. Hand-written rather than
// Intl.Segmenter('sentence'): ICU splits 「本当に？」と言った mid-sentence, glues 「 to the previous
// sentence and breaks after "Mr."; this single pass is also several times faster.
// Every sentence returned is a verbatim (trimmed) slice of the input. Also here: the few ways a
// summary puts sentences back together (length in code points, a visible cut, joining, one line).
import type { Language } from './summarizer.js';

const JA_TERMINALS = new Set(['。', '！', '？', '｡', '‼', '⁉']);
const LATIN_TERMINALS = new Set(['.', '!', '?']);
const OPENERS = new Set(['「', '『', '（', '【', '〔', '〈', '《', '(']);
const BRACKET_CLOSERS = new Set(['」', '』', '）', '】', '〕', '〉', '》', ')']);
/** Characters that stay with the sentence they close. */
const TRAILERS = new Set([...BRACKET_CLOSERS, '"', "'", '’', '”', ']']);
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'vs', 'etc', 'e.g', 'i.e', 'no', 'approx', 'dept', 'mt', 'ft', 'inc', 'co',
]);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\u3000' || c === '\u00a0' || c === '\f' || c === '\v';
}
function isLower(c: string | undefined): boolean {
  return c !== undefined && c >= 'a' && c <= 'z';
}
function isLatinLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}
function isCjk(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return code >= 0x3000 && code <= 0x9fff;
}

/** Splits `text` into sentences: verbatim slices, trimmed, empty ones dropped, in order. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let start = 0;
  let depth = 0;
  const push = (end: number): void => {
    const s = trim(text, start, end);
    if (s) out.push(s);
    start = end;
  };
  for (let i = 0; i < n; i++) {
    const ch = text[i];
    if (ch === '\n') {
      if (newlineBreaks(text, start, i)) {
        push(i);
        start = i + 1;
        depth = 0;
      }
      continue;
    }
    if (ch === undefined) continue;
    if (OPENERS.has(ch)) {
      depth++;
      continue;
    }
    if (BRACKET_CLOSERS.has(ch)) {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const ja = JA_TERMINALS.has(ch);
    if (!ja && !LATIN_TERMINALS.has(ch)) continue;
    // Inside 「…」 or (…) a ？ or ！ belongs to the quoted speech, not the sentence.
    if (depth > 0) continue;
    let j = i + 1;
    while (j < n) {
      const c = text[j] as string;
      if (JA_TERMINALS.has(c) || LATIN_TERMINALS.has(c) || c === '…') j++;
      else if (TRAILERS.has(c)) j++;
      else break;
    }
    if (!ja && !latinBreaks(text, i, j)) {
      i = j - 1;
      continue;
    }
    push(j);
    i = j - 1;
  }
  push(n);
  return out;
}

/** A Latin ".!?" ends a sentence unless a word, digit or lowercase continuation follows, or it ends an abbreviation. */
function latinBreaks(text: string, i: number, j: number): boolean {
  const next = text[j];
  if (next !== undefined && !isSpace(next) && next !== '\n') {
    // "3.5", "e.g.x", "Yahoo!Japan" continue; "楽しかった!明日も" (ASCII ! in Japanese) breaks.
    return isCjk(next) && !BRACKET_CLOSERS.has(next);
  }
  let k = j;
  while (k < text.length && isSpace(text[k])) k++;
  if (isLower(text[k])) return false;
  if (text[i] === '.') {
    let w = i;
    while (w > 0 && (isLatinLetter(text[w - 1]) || text[w - 1] === '.')) w--;
    const word = text.slice(w, i).toLowerCase();
    if (ABBREVIATIONS.has(word)) return false;
    // A lone capital is an initial ("J. R. Tolkien").
    if (word.length === 1 && /[A-Z]/.test(text[w] as string)) return false;
  }
  return true;
}

/**
 * Line breaks end a sentence, except a hard-wrapped English line (letter or comma before, lowercase after).
 * Blank lines always break.
 */
function newlineBreaks(text: string, start: number, i: number): boolean {
  let p = i - 1;
  while (p >= start && isSpace(text[p])) p--;
  if (p < start) return true;
  let q = i + 1;
  while (q < text.length && isSpace(text[q])) q++;
  const prev = text[p];
  const next = text[q];
  if (next === undefined || next === '\n') return true;
  const wrapped = (isLatinLetter(prev) || prev === ',' || prev === ';' || prev === '-') && isLower(next);
  return !wrapped;
}

function trim(text: string, start: number, end: number): string {
  while (start < end && (isSpace(text[start]) || text[start] === '\n')) start++;
  while (end > start && (isSpace(text[end - 1]) || text[end - 1] === '\n')) end--;
  return text.slice(start, end);
}

const ELLIPSIS = '…';

/** Length in code points, as budgets count it (an emoji is one character, not two). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Cuts to at most `max` code points including the trailing "…" (English: at a word boundary when one is near). */
export function truncate(s: string, max: number, language: Language): string {
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  let cut = cps.slice(0, max - 1).join('');
  if (language === 'en') {
    const space = cut.lastIndexOf(' ');
    if (space > cut.length * 0.7) cut = cut.slice(0, space);
  }
  return cut.trimEnd() + ELLIPSIS;
}

/** Sentences joined as their languages write them: Japanese runs on after 。, English takes a space. */
export function joinSentences(sentences: readonly string[]): string {
  let out = '';
  for (const s of sentences) {
    if (out && needsSpace(out, s)) out += ' ';
    out += s;
  }
  return out;
}

function needsSpace(before: string, after: string): boolean {
  if (/[。！？｡」』）】〕〉》]$/u.test(before)) return false;
  // "楽しかった!明日も": ASCII punctuation in Japanese text is followed by Japanese, without a space.
  return !(/[.!?)…]$/u.test(before) && isCjk(after[0]));
}

/** Line breaks inside a sentence (and the spaces around them) become one space. */
export function oneLine(s: string): string {
  // Every line break JavaScript knows (\n, \r, \v, \f, NEL, LINE/PARAGRAPH SEPARATOR), not just \n.
  return s.replace(/\s*[\n\r\v\f\u0085\u2028\u2029]\s*/gu, ' ');
}
