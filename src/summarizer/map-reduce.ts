// Splitting input that is too long for one request, losslessly: every character of every entry
// lands in exactly one chunk (map-reduce instead of silently cutting the diary).
import { entryOverhead } from './prompts.js';
import type { SummaryEntry } from './summarizer.js';

/** Prompt size of the entries, as budgeted against maxInputChars. */
export function inputSize(entries: readonly SummaryEntry[]): number {
  let n = 0;
  for (const e of entries) n += e.text.length + entryOverhead(e);
  return n;
}

/**
 * Cuts `text` into pieces of at most `max` characters whose concatenation is `text`, preferring
 * to cut after a line break or sentence end in the second half of each window.
 */
export function splitText(text: string, max: number): string[] {
  if (max < 1) throw new RangeError('splitText: max must be >= 1');
  const parts: string[] = [];
  let start = 0;
  while (text.length - start > max) {
    let cut = -1;
    const lo = start + Math.floor(max / 2);
    for (let i = start + max; i > lo; i--) {
      const prev = text[i - 1];
      if (prev === '\n') {
        cut = i;
        break;
      }
      if (cut < 0 && (prev === '。' || prev === '！' || prev === '？' || ((prev === '.' || prev === '!' || prev === '?') && /\s/.test(text[i] ?? '')))) {
        cut = i; // remember the last sentence end, but keep looking for a line break
      }
    }
    if (cut < 0) {
      cut = start + max;
      // Never split a surrogate pair.
      const code = text.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
    }
    parts.push(text.slice(start, cut));
    start = cut;
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Groups entries into chunks whose inputSize is at most `maxChars`, in date order; an entry larger
 * than that is split into several same-date entries first.
 */
export function chunkEntries(entries: readonly SummaryEntry[], maxChars: number): SummaryEntry[][] {
  const pieces: SummaryEntry[] = [];
  for (const e of entries) {
    const room = Math.max(1, maxChars - entryOverhead(e));
    if (e.text.length <= room) pieces.push(e);
    else for (const text of splitText(e.text, room)) pieces.push({ ...e, text });
  }
  const chunks: SummaryEntry[][] = [];
  let current: SummaryEntry[] = [];
  let size = 0;
  for (const p of pieces) {
    const s = inputSize([p]);
    if (current.length > 0 && size + s > maxChars) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
