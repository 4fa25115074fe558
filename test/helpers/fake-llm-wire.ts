// The fake LLM's answers on the wire: JSON bodies, OpenAI's error shape, a chat completion.
import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function apiError(res: ServerResponse, status: number, message: string, type: string, code: string | null, headers?: Record<string, string>): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

/** OpenAI's answer to a response_format the model does not support. */
export function formatUnsupported(res: ServerResponse): void {
  sendJson(res, 400, {
    error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", type: 'invalid_request_error', param: 'response_format', code: null },
  });
}

export function completion(model: string, text: string, promptChars: number, finishReason = 'stop', withUsage = true): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: `chatcmpl-fake-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
    usage: { prompt_tokens: promptChars, completion_tokens: text.length, total_tokens: promptChars + text.length },
  };
  if (!withUsage) delete body.usage;
  return body;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
