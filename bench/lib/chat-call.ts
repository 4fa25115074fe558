// The Chat Completions call that the cost comparators make for a daily job, as a plain queue user
// would write it: one undici request to the fake LLM, the answer's text and token counts.
import { request, type Dispatcher } from 'undici';

export interface ChatAnswer {
  summary: string;
  inputTokens: number | null;
  outputTokens: number | null;
}

export async function chatCall(url: string, dispatcher: Dispatcher, content: string): Promise<ChatAnswer> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: JSON.stringify({
      model: 'fake-model',
      messages: [
        { role: 'system', content: 'Summarize this diary entry in two or three sentences, in the language it is written in.' },
        { role: 'user', content },
      ],
    }),
    dispatcher,
  });
  if (res.statusCode !== 200) throw new Error(`LLM HTTP ${res.statusCode}`);
  const answer = (await res.body.json()) as { choices: Array<{ message: { content: string } }>; usage?: { prompt_tokens: number; completion_tokens: number } };
  return {
    summary: answer.choices[0]?.message.content ?? '',
    inputTokens: answer.usage?.prompt_tokens ?? null,
    outputTokens: answer.usage?.completion_tokens ?? null,
  };
}
