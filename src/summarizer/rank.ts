// Sentence centrality: TextRank (PageRank) over TF-IDF cosine similarity, i.e. LexRank.
// Large inputs (a month of raw diaries) fall back to cosine similarity with the TF-IDF centroid,
// which is linear instead of quadratic and agrees closely on which sentences are central.
// Tokens are interned to integers and vectors kept as sorted typed arrays: this runs inside
// benchmarks, and Map<string, number> lookups made it several times slower.

const DAMPING = 0.85;
const MAX_ITERATIONS = 50;
const EPSILON = 1e-6;
/** Above this many sentences the O(n²) graph is replaced by the centroid method. */
const GRAPH_LIMIT = 250;

/** A sparse unit vector: ascending token ids and their weights. */
interface Vector {
  ids: Int32Array;
  weights: Float64Array;
}

function tfidfVectors(docs: readonly string[][]): Vector[] {
  const ids = new Map<string, number>();
  const docIds = docs.map((doc) =>
    doc.map((t) => {
      let id = ids.get(t);
      if (id === undefined) {
        id = ids.size;
        ids.set(t, id);
      }
      return id;
    }),
  );
  const df = new Int32Array(ids.size);
  for (const doc of docIds) for (const id of new Set(doc)) df[id] = (df[id] as number) + 1;
  const n = docs.length;
  return docIds.map((doc) => {
    const tf = new Map<number, number>();
    for (const id of doc) tf.set(id, (tf.get(id) ?? 0) + 1);
    const sorted = [...tf.keys()].sort((a, b) => a - b);
    const weights = new Float64Array(sorted.length);
    let norm = 0;
    sorted.forEach((id, k) => {
      const w = (tf.get(id) as number) * Math.log(1 + n / (df[id] as number));
      weights[k] = w;
      norm += w * w;
    });
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < weights.length; k++) weights[k] = (weights[k] as number) / norm;
    return { ids: Int32Array.from(sorted), weights };
  });
}

/** Dot product of two sparse vectors by merging their sorted ids. */
function dot(a: Vector, b: Vector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  const ai = a.ids;
  const bi = b.ids;
  while (i < ai.length && j < bi.length) {
    const x = ai[i] as number;
    const y = bi[j] as number;
    if (x === y) s += (a.weights[i++] as number) * (b.weights[j++] as number);
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** Centrality of each sentence, and how alike two sentences are (for choosing diverse ones). */
export interface Ranking {
  /** Higher = more central; deterministic for a given input. */
  scores: number[];
  /** Cosine similarity of two sentences' TF-IDF vectors, 0–1. */
  similarity(i: number, j: number): number;
  /** Centrality of some of the sentences among themselves (e.g. one day's of a month): linear, by centroid. */
  centralityWithin(indices: readonly number[]): number[];
}

/** One centrality score per sentence (higher = more central); deterministic for a given input. */
export function rankSentences(tokenLists: readonly string[][]): number[] {
  return rank(tokenLists).scores;
}

export function rank(tokenLists: readonly string[][]): Ranking {
  const n = tokenLists.length;
  const vectors = tfidfVectors(tokenLists);
  const similarity = (i: number, j: number): number => (i === j ? 1 : dot(vectors[i] as Vector, vectors[j] as Vector));
  // Sentences with very few tokens ("Yes." / 「はい。」) carry little content: damp them.
  const damp = (s: number, i: number): number => s * Math.min(1, ((tokenLists[i] as string[]).length + 1) / 5);
  const centralityWithin = (indices: readonly number[]): number[] =>
    indices.length === 1 ? [1] : centroidScores(indices.map((i) => vectors[i] as Vector)).map((s, k) => damp(s, indices[k] as number));
  if (n <= 1) return { scores: n === 1 ? [1] : [], similarity, centralityWithin };
  const raw = n > GRAPH_LIMIT ? centroidScores(vectors) : textRank(vectors);
  return { scores: raw.map(damp), similarity, centralityWithin };
}

function textRank(vectors: Vector[]): number[] {
  const n = vectors.length;
  // Row-stochastic transition matrix P, flat: P[i][j] at [i*n+j].
  const sim = new Float64Array(n * n);
  const rowSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = dot(vectors[i] as Vector, vectors[j] as Vector);
      if (s <= 0) continue;
      sim[i * n + j] = s;
      sim[j * n + i] = s;
      rowSum[i] = (rowSum[i] as number) + s;
      rowSum[j] = (rowSum[j] as number) + s;
    }
  }
  for (let i = 0; i < n; i++) {
    const r = rowSum[i] as number;
    if (r > 0) for (let j = 0; j < n; j++) sim[i * n + j] = (sim[i * n + j] as number) / r;
  }
  let score = new Float64Array(n).fill(1 / n);
  let next = new Float64Array(n);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    // Sentences sharing nothing with the others spread their rank evenly (dangling nodes).
    let dangling = 0;
    for (let j = 0; j < n; j++) if ((rowSum[j] as number) === 0) dangling += score[j] as number;
    const base = (1 - DAMPING) / n + (DAMPING * dangling) / n;
    next.fill(0);
    // next[i] += P[j][i] · score[j], walking each row j contiguously.
    for (let j = 0; j < n; j++) {
      const sj = score[j] as number;
      if (sj === 0 || (rowSum[j] as number) === 0) continue;
      const row = j * n;
      for (let i = 0; i < n; i++) next[i] = (next[i] as number) + (sim[row + i] as number) * sj;
    }
    let delta = 0;
    for (let i = 0; i < n; i++) {
      const v = base + DAMPING * (next[i] as number);
      delta += Math.abs(v - (score[i] as number));
      next[i] = v;
    }
    [score, next] = [next, score];
    if (delta < EPSILON) break;
  }
  return Array.from(score);
}

function centroidScores(vectors: Vector[]): number[] {
  const centroid = new Map<number, number>();
  for (const v of vectors) for (let k = 0; k < v.ids.length; k++) centroid.set(v.ids[k] as number, (centroid.get(v.ids[k] as number) ?? 0) + (v.weights[k] as number));
  let cn = 0;
  for (const w of centroid.values()) cn += w * w;
  cn = Math.sqrt(cn);
  if (cn === 0) return vectors.map(() => 0);
  return vectors.map((v) => {
    let s = 0;
    for (let k = 0; k < v.ids.length; k++) s += (v.weights[k] as number) * (centroid.get(v.ids[k] as number) as number);
    return s / cn;
  });
}

/** Indices ordered best first; ties go to the earlier sentence so the result is stable. */
export function orderByScore(scores: readonly number[]): number[] {
  return scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, i]) => i);
}
