// Near-duplicate sentences: character-bigram Jaccard similarity, the one definition used by the
// summarizers (never show two near-duplicates) and by the quality metrics that check them.
// Character bigrams work for Japanese (no spaces) and English alike; case, width, spaces and
// punctuation are ignored, so "Walked home." and "walked home!" are the same sentence.

/** Jaccard similarity at or above this makes two sentences near-duplicates. */
export const NEAR_DUPLICATE = 0.8;

/** The text as near-duplicate detection sees it: NFKC, lower case, letters and digits only. */
export function normalized(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** The sentence's character bigrams after normalization (a one-character text is its own "bigram"). */
export function bigrams(text: string): Set<string> {
  const chars = Array.from(normalized(text));
  const out = new Set<string>();
  if (chars.length === 1) out.add(chars[0] as string);
  for (let i = 0; i + 1 < chars.length; i++) out.add((chars[i] as string) + (chars[i + 1] as string));
  return out;
}

/** |A ∩ B| ÷ |A ∪ B|; two texts with no letters or digits at all count as identical. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
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
  readonly #seen: Set<string>[] = [];

  accepts(text: string): boolean {
    const g = bigrams(text);
    return this.#seen.every((s) => jaccard(s, g) < NEAR_DUPLICATE);
  }

  add(text: string): void {
    this.#seen.push(bigrams(text));
  }
}
