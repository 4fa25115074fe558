// A plain-text LLM answer made fit to store: no Markdown (headings, bold, code, links, fences),
// no preamble ("Here is the summary:", 「以下が要約です。」) and no trailing chatter ("Let me know if…",
// 「何かあればお気軽に」). Daily answers keep their bullet lines, in the bullet the prompt asked for.
import { parseDayLabel } from './month-days.js';
import { joinSentences, splitSentences } from './sentences.js';
import type { Language, SummaryKind } from './summarizer.js';

const BULLET = /^\s*(?:[-*+•●▪]\s+|・\s*|\d{1,2}[.)]\s+)/u;
const FENCE = /^\s*(?:```|~~~)/u;
const RULE = /^\s*([-*_])(?:\s*\1){2,}\s*$/u;

const PREAMBLES: readonly RegExp[] = [
  /^(?:sure|certainly|of course|absolutely|okay|ok)\s*[,!.]/iu,
  /^here(?:'s|’s| is| are)\b/iu,
  /^(?:the |a |your )?(?:daily |monthly )?summary(?: of [^:：]{0,60}| for [^:：]{0,60})?\s*[:：]?$/iu,
  /^[^。.!?！？]{0,60}\b(?:summary|summari[sz]ed?)\b[^。.!?！？]{0,30}[:：]$/iu,
  /^(?:要約|まとめ|日次要約|月次要約|今月のまとめ|今日のまとめ)\s*[:：]?$/u,
  /^(?:以下|こちら)(?:は|が|に|の).{0,40}(?:要約|まとめ)/u,
  /^(?:はい|承知しました|了解しました|かしこまりました|もちろんです)(?:[、。!！]|$)/u,
  /^.{0,40}(?:要約|まとめ)(?:します|しました|です)?[:：]$/u,
];

const CHATTER: readonly RegExp[] = [
  /^(?:let me know|i hope|hope this|feel free|please let me|is there anything|would you like|do you want)\b/iu,
  /^if you(?:'d| would)? (?:like|want|need)\b/iu,
  /^\(?(?:note|注)[:：]/iu,
  /^(?:何か(?:他に|ほかに)?|他に|ほかに)(?:ご質問|質問|ご要望|お手伝い|必要|あれば)/u,
  /^(?:ご不明|お気軽|お役に立て|いかがでしょうか|必要であれば|ご希望があれば|修正が必要)/u,
  /^以上(?:です|になります)?[。.]?$/u,
];

/** "Here is the summary: I walked …" on one line: the part after the colon is the answer. */
const INLINE_PREAMBLE =
  /^(?:(?:sure|certainly|of course|okay|ok)[,!.]\s*)?(?:here(?:'s|’s| is| are)[^:：]{0,60}|(?:以下|こちら)(?:は|が)[^:：]{0,30}(?:要約|まとめ)[^:：]{0,10})[:：]\s*(\S.*)$/iu;

/** Markdown and list markers off one line of text; whitespace collapsed. */
export function cleanInline(text: string): string {
  return text
    .replace(BULLET, '')
    .replace(/^\s*#{1,6}\s+/u, '')
    .replace(/^\s*>\s?/u, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/gu, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/gu, '$1')
    .replace(/`([^`]+)`/gu, '$1')
    .replace(/(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1/gu, '$2')
    .replace(/(?<![\p{L}\p{N}*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\p{L}\p{N}*])/gu, '$1')
    .replace(/(?<![\p{L}\p{N}_])_(?=\S)([^_]+?)(?<=\S)_(?![\p{L}\p{N}_])/gu, '$1')
    .replace(/\s+/gu, ' ')
    .trim();
}

function isPreamble(line: string): boolean {
  return !parseDayLabel(line) && PREAMBLES.some((p) => p.test(line));
}

function isChatter(line: string): boolean {
  return CHATTER.some((p) => p.test(line));
}

/**
 * The answer as it should be stored. Never empty for a non-empty answer: when cleaning would
 * leave nothing, the answer is kept as it came (trimmed).
 */
export function cleanAnswer(text: string, kind: SummaryKind, language: Language): string {
  const lines: string[] = [];
  for (const raw of text.replace(/\r\n?/gu, '\n').split('\n')) {
    if (FENCE.test(raw) || RULE.test(raw)) continue;
    const line = cleanInline(raw);
    if (line === '') continue;
    // The daily prompt asks for bullet points: keep them, in the form it asked for.
    lines.push(kind === 'daily' && BULLET.test(raw) ? `${language === 'ja' ? '・' : '- '}${line}` : line);
  }
  while (lines.length > 1 && isPreamble(cleanInline(lines[0] as string))) lines.shift();
  while (lines.length > 1 && isChatter(cleanInline(lines.at(-1) as string))) lines.pop();
  if (lines.length > 0) {
    lines[0] = (lines[0] as string).replace(INLINE_PREAMBLE, '$1');
    // "… and rested. Let me know if you need anything else!": the last sentence alone is chatter.
    const tail = splitSentences(lines.at(-1) as string);
    if (tail.length > 1 && isChatter(tail.at(-1) as string)) lines[lines.length - 1] = joinSentences(tail.slice(0, -1));
  }
  return lines.length > 0 ? lines.join('\n') : text.trim();
}
