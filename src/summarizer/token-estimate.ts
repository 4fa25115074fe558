// A call's tokens before it is made, for the LLM_MAX_TPM reservation: the prompt's tokens from its
// text, plus the most the answer may take. Deliberately on the high side, since the reservation is
// corrected with the provider's usage afterwards and an estimate that is too low overspends.
import type { ChatMessage } from './prompts.js';

/**
 * The answer's share of a reservation: requests send no max_tokens (some models refuse it), so
 * this stands in for it. A summary answer is a few hundred tokens; the correction gives back the rest.
 */
export const ANSWER_TOKENS_ESTIMATE = 1024;

/** Per message: role and separators in the chat format. */
const MESSAGE_OVERHEAD = 4;

/** Prompt tokens of `text`: about 4 characters per token in alphabetic scripts, one per CJK character. */
export function estimateTextTokens(text: string): number {
  let wide = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c >= 0x2e80) wide++;
  }
  const narrow = text.length - wide;
  return wide + Math.ceil(narrow / 4);
}

export function estimateCallTokens(messages: readonly ChatMessage[], answerTokens: number = ANSWER_TOKENS_ESTIMATE): number {
  let n = 3;
  for (const m of messages) n += MESSAGE_OVERHEAD + estimateTextTokens(m.content);
  return n + answerTokens;
}
