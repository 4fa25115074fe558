// Tokens for sentence ranking and key terms for the monthly theme line.
// Japanese has no spaces, so it gets character bigrams (the standard dictionary-free choice);
// bigrams made only of hiragana are dropped since they are mostly particles and inflections.
import type { Language } from './summarizer.js';

const EN_STOPWORDS = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves also got get really went go going today day lot bit much still even ' +
    'one two back around im ive dont didnt thats its something things thing made make way felt feel time good great ' +
    'well first last next little long every never always quite though since like asked told said came took ' +
    'thought knew looked started tried found kept left put let gave saw seen done else almost away another ' +
    'second third three four five half morning evening afternoon night tonight tomorrow yesterday week weeks ' +
    'minutes hours everyone everything nobody nothing anything someone')
    .split(' '),
);

const JA_GENERIC_TERMS = new Set([
  '今日', '明日', '昨日', '今月', '先月', '来月', '自分', '時間', '一日', '今週', '今回', '感じ', '気持', '本当', '最近',
  '二人', '一人', '三人', '一緒', '最後', '最初', '途中', '夕方', '午前中', '午後', '昼前', '昼過', '今度', '前回', '来週', '先週',
]);

function isHiragana(code: number): boolean {
  return code >= 0x3040 && code <= 0x309f;
}
function isKatakana(code: number): boolean {
  return (code >= 0x30a0 && code <= 0x30ff) || (code >= 0xff66 && code <= 0xff9f);
}
function isKanji(code: number): boolean {
  return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || code === 0x3005; // 々
}
function isJaWordChar(code: number): boolean {
  return isHiragana(code) || isKatakana(code) || isKanji(code);
}
function isAsciiWordChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x27;
}

/** Crude English stemming: enough to make "walks"/"walked"/"walking" meet. */
export function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function pushWord(out: string[], raw: string): void {
  const w = raw.toLowerCase().replace(/'/g, '');
  if (w.length < 2 || EN_STOPWORDS.has(w)) return;
  out.push(stem(w));
}

/** Ranking tokens of one sentence. */
export function tokenize(sentence: string, language: Language): string[] {
  const out: string[] = [];
  const n = sentence.length;
  let i = 0;
  while (i < n) {
    const code = sentence.charCodeAt(i);
    if (isAsciiWordChar(code)) {
      let j = i + 1;
      while (j < n && isAsciiWordChar(sentence.charCodeAt(j))) j++;
      pushWord(out, sentence.slice(i, j));
      i = j;
    } else if (language === 'ja' && isJaWordChar(code)) {
      let j = i + 1;
      while (j < n && isJaWordChar(sentence.charCodeAt(j))) j++;
      if (j - i === 1) {
        if (!isHiragana(code)) out.push(sentence[i] as string);
      } else {
        for (let k = i; k + 1 < j; k++) {
          if (isHiragana(sentence.charCodeAt(k)) && isHiragana(sentence.charCodeAt(k + 1))) continue;
          out.push(sentence.slice(k, k + 2));
        }
      }
      i = j;
    } else i++;
  }
  return out;
}

/**
 * Candidate theme words of a text: kanji compounds and katakana words for Japanese,
 * non-stopwords of 4+ letters for English, in their original spelling (group them case-insensitively).
 */
export function keyTerms(text: string, language: Language): string[] {
  const out: string[] = [];
  if (language === 'ja') {
    // Runs of kanji and katakana are the nouns: 予約システム, 段ボール, 誕生日.
    for (const m of text.matchAll(/[\u4e00-\u9fff\u3400-\u4dbf々\u30a1-\u30ff]+/g)) {
      const t = m[0];
      const len = t.length;
      if (len < 2 || len > 10 || /^[ー・]/.test(t) || JA_GENERIC_TERMS.has(t)) continue;
      out.push(t);
    }
    return out;
  }
  for (const m of text.matchAll(/[A-Za-z][A-Za-z']{3,}/g)) {
    const word = m[0].replace(/'s$/i, '');
    const w = word.toLowerCase().replace(/'/g, '');
    if (EN_STOPWORDS.has(w) || w.length < 4) continue;
    out.push(word);
  }
  return out;
}
