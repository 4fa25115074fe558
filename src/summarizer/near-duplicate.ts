// Near-duplicate sentences: character-bigram Jaccard similarity, the one definition used by the
// summarizers (never show two near-duplicates) and by the quality metrics that check them.
// Character bigrams work for Japanese (no spaces) and English alike; case, width, spaces and
// punctuation are ignored, so "Walked home." and "walked home!" are the same sentence.

/** Jaccard similarity at or above this makes two sentences near-duplicates. */
export const NEAR_DUPLICATE = 0.8;

/** The text as near-duplicate detection sees it: NFKC, lower case, letters and digits only. */
export function normalized(text: string): string {
  // NFKC only matters beyond ASCII (full-width letters, half-width katakana); skipping it is much faster.
  const folded = /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC');
  return folded.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** A text's bigram set: each pair of code points as one number (a one-character text is its own "bigram"). */
export type Bigrams = ReadonlySet<number>;

/** The sentence's character bigrams after normalization. */
export function bigrams(text: string): Bigrams {
  const out = new Set<number>();
  let prev = -1;
  for (const ch of normalized(text)) {
    const code = ch.codePointAt(0) as number;
    if (prev >= 0) out.add(prev * 0x110000 + code); // < 2^41: exact as a double
    prev = code;
  }
  if (out.size === 0 && prev >= 0) out.add(prev);
  return out;
}

/** |A ∩ B| ÷ |A ∪ B|; two texts with no letters or digits at all count as identical. */
export function jaccard(a: Bigrams, b: Bigrams): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const g of small) if (large.has(g)) common++;
  return common / (a.size + b.size - common);
}

export function isNearDuplicate(a: string, b: string): boolean {
  return jaccard(bigrams(a), bigrams(b)) >= NEAR_DUPLICATE;
}

/** The texts accepted so far; `accepts` says whether a new one would repeat any of them. */
export class DuplicateFilter {
  readonly #seen: Bigrams[] = [];

  /** `grams`: the text's bigrams when the caller has them already. */
  accepts(text: string, grams: Bigrams = bigrams(text)): boolean {
    return this.#seen.every((s) => jaccard(s, grams) < NEAR_DUPLICATE);
  }

  add(text: string, grams: Bigrams = bigrams(text)): void {
    this.#seen.push(grams);
  }
}
