// The fake LLM's provider-side token limit (FakeLlmOptions.tokensPerMinute): tokens per sliding
// minute, told in OpenAI's x-ratelimit-* headers; a call beyond it is refused with remaining 0.

export interface FakeLlmUsage {
  /** Date.now() when the answer was sent. */
  at: number;
  /** prompt_tokens + completion_tokens. */
  tokens: number;
}

/** What the limit says about a call of `tokens` now, given the answers sent so far. */
export function tokenLimit(usage: readonly FakeLlmUsage[], limit: number, tokens: number, now: number): { refused: boolean; headers: Record<string, string> } {
  const recent = usage.filter((x) => x.at > now - 60_000);
  const used = recent.reduce((n, x) => n + x.tokens, 0);
  if (used + tokens > limit) {
    // Until enough of the minute's tokens have aged out for this call.
    let freed = used + tokens - limit;
    let resetMs = 1;
    for (const x of recent) {
      if (freed <= 0) break;
      freed -= x.tokens;
      resetMs = x.at + 60_000 - now;
    }
    return { refused: true, headers: { 'x-ratelimit-limit-tokens': String(limit), 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': `${Math.max(1, resetMs)}ms` } };
  }
  const reset = Math.max(1, Math.ceil((recent[0]?.at ?? now) + 60_000 - now));
  return { refused: false, headers: { 'x-ratelimit-limit-tokens': String(limit), 'x-ratelimit-remaining-tokens': String(limit - used - tokens), 'x-ratelimit-reset-tokens': `${reset}ms` } };
}
