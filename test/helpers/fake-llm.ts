// A fake OpenAI-compatible Chat Completions server on loopback, for tests and end-to-end runs.
//
//   const llm = await startFakeLlm({ latencyMs: 0, apiKey: 'sk-test', models: ['m1'] });
//   llm.url          // "http://127.0.0.1:<port>/v1" — use as LLM_BASE_URL / baseUrl
//   llm.script({ type: 'rate-limit', retryAfter: '1' }, { type: 'ok' })  // next calls, in order
//   llm.calls        // chat completion requests received so far
//   llm.requests     // [{ body, authorization, path, at, answer }] in arrival order
//   llm.usage        // [{ at, tokens }] of every answer that reported usage, for budgets
//   llm.reset()      // forget calls/requests/script/usage
//   await llm.close()
//
// Every POST .../chat/completions is one call. A scripted step is used per call, in order; with
// no step left the default applies: answer after `latencyMs`. Answers are derived from the prompt
// so tests can tell them apart: "fake summary (<ja|en>, <n> chars): <first 40 chars of the user message>",
// the language being the prompt's (any hiragana/katakana → ja). usage: prompt_tokens = user message
// length, completion_tokens = answer length. A request with a json_schema `response_format` gets, by
// default, JSON of the monthly summary shape derived the same way (see fakeStructuredAnswer);
// `structuredOutput: 'refuse'` answers such requests 400 as servers without structured output do,
// 'ignore' answers them in prose. With `apiKey` set, a call without "Bearer <apiKey>" gets
// 401 whose message echoes the key it received (as OpenAI's does, to test redaction); with `models`
// set, any other model gets 404 model_not_found. GET .../models lists `models`.
//
// Rate limits: `ok` and `rate-limit` steps may carry `headers` (x-ratelimit-*, retry-after-ms …);
// `usage: false` answers without usage. `tokensPerMinute` plays a provider's token limit per sliding
// minute (fake-llm-limit.ts): answers tell remaining and reset, a call beyond it gets a 429.
//
// Steps: ok (text?, latencyMs?, headers?), rate-limit (429, retryAfter header value?, headers?), server-error (status?
// default 503), unauthorized (401), forbidden (403), model-not-found (404), refusal (400
// content_policy_violation), content-filter (200, finish_reason "content_filter"), malformed (200,
// not JSON), empty (200, empty content), format-unsupported (400 naming response_format, whatever
// the request), hang (never answers; sockets are destroyed on close()).
//
// `decide(request, n)` (the chaos suite's): the step for call n (0-based) when no scripted step is
// left, e.g. a seeded mix of latencies, 429s, 5xx and hangs; each request records the step's type
// as `answer`.
//
// Standalone: node --import tsx test/helpers/fake-llm.ts [--port N] [--latency-ms M] [--api-key K]
//   [--model NAME]… [--tokens-per-minute N]   prints its URL as the first stdout line, exits on SIGTERM/SIGINT.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { tokenLimit, type FakeLlmUsage } from './fake-llm-limit.js';
import { apiError, completion, formatUnsupported, readBody, sendJson } from './fake-llm-wire.js';
import { fakeBatchApi, type FakeBatch, type FakeBatchPlan } from './fake-batch-api.js';

export type { FakeLlmUsage } from './fake-llm-limit.js';
export type { FakeBatch, FakeBatchPlan } from './fake-batch-api.js';

export type FakeLlmStep =
  | { type: 'ok'; text?: string; latencyMs?: number; headers?: Record<string, string> }
  | { type: 'rate-limit'; retryAfter?: string; headers?: Record<string, string> }
  | { type: 'server-error'; status?: number }
  | { type: 'unauthorized' }
  | { type: 'forbidden' }
  | { type: 'model-not-found' }
  | { type: 'refusal' }
  | { type: 'content-filter' }
  | { type: 'malformed' }
  | { type: 'empty' }
  | { type: 'format-unsupported' }
  | { type: 'hang' };

export interface FakeLlmRequest {
  /** Parsed JSON body (undefined if it was not JSON). */
  body: { model?: string; messages?: { role: string; content: string }[]; [k: string]: unknown } | undefined;
  authorization: string | undefined;
  path: string;
  /** Date.now() on arrival. */
  at: number;
  /** The type of the step that answered it (or 'rejected' by the apiKey/models checks). */
  answer?: FakeLlmStep['type'] | 'rejected';
  /** The client went away before its answer was sent (it timed out or aborted the job). */
  abandoned?: boolean;
}

export interface FakeLlmOptions {
  port?: number;
  /** Default delay before a normal answer. */
  latencyMs?: number;
  /** When set, requests must carry "Authorization: Bearer <apiKey>". */
  apiKey?: string;
  /** When set, other models get 404 model_not_found. */
  models?: string[];
  /** What a request with a json_schema response_format gets: JSON (default), a 400, or prose. */
  structuredOutput?: 'json' | 'refuse' | 'ignore';
  /** false: answers carry no `usage`. @defaultValue true */
  usage?: boolean;
  /** A provider's token limit over a sliding minute, told in x-ratelimit-* headers. */
  tokensPerMinute?: number;
  /** The step for call `n` (0-based) when no scripted step is left; default { type: 'ok' }. */
  decide?: (request: FakeLlmRequest, n: number) => FakeLlmStep;
}

export interface FakeLlm {
  readonly url: string;
  readonly calls: number;
  readonly requests: readonly FakeLlmRequest[];
  readonly usage: readonly FakeLlmUsage[];
  /** Calls answered 429 because they went beyond `tokensPerMinute`. */
  readonly overLimit: number;
  script(...steps: FakeLlmStep[]): void;
  /** The Batch API's next batches (fake-batch-api.ts); default: all lines answered. */
  batchPlan(...plans: FakeBatchPlan[]): void;
  /** Batches created so far. */
  readonly batches: readonly FakeBatch[];
  reset(): void;
  close(): Promise<void>;
}

/** The fake's answer for a prompt: deterministic and tagged with the prompt's language. */
export function fakeAnswer(userMessage: string): string {
  const lang = /[\u3040-\u30ff]/.test(userMessage) ? 'ja' : 'en';
  return `fake summary (${lang}, ${userMessage.length} chars): ${userMessage.slice(0, 40).replace(/\s+/g, ' ')}`;
}

/**
 * The fake's structured answer: up to three of the prompt's diary entries ("[YYYY-MM-DD…]" headers:
 * first, middle, last), each with the first 30 characters of its text, and fakeAnswer as the trend.
 */
export function fakeStructuredAnswer(userMessage: string): string {
  const entries = [...userMessage.matchAll(/\[(\d{4}-\d{2}-\d{2})[^\]\n]*\]\n([^\n]*)/g)].map((m) => ({ date: m[1] as string, text: (m[2] as string).slice(0, 30) }));
  const picked = [...new Set([entries[0], entries[Math.floor(entries.length / 2)], entries.at(-1)])].filter((e) => e !== undefined);
  return JSON.stringify({ days: picked, trend: fakeAnswer(userMessage) });
}

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const usage: FakeLlmUsage[] = [];
  let overLimit = 0;
  let queue: FakeLlmStep[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  // A batch line gets what a live call with its body would: same text, same usage.
  const batchApi = fakeBatchApi((body) => {
    const messages = Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
    const user = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const format = body.response_format;
    const structured = typeof format === 'object' && format !== null && (format as { type?: unknown }).type === 'json_schema';
    const text = structured && options.structuredOutput !== 'ignore' ? fakeStructuredAnswer(user) : fakeAnswer(user);
    return completion(typeof body.model === 'string' ? body.model : '', text, user.length, 'stop', options.usage !== false);
  });

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) apiError(res, 500, 'fake llm crashed', 'server_error', null);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path.endsWith('/models')) {
      sendJson(res, 200, { object: 'list', data: (options.models ?? ['fake-model']).map((id) => ({ id, object: 'model', owned_by: 'fake' })) });
      return;
    }
    if (!path.endsWith('/chat/completions') && /\/(files|batches)\b/.test(path)) {
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        apiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
        return;
      }
      if (await batchApi.handle(req, res, path)) return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      apiError(res, 404, `no route ${req.method} ${path}`, 'invalid_request_error', 'not_found');
      return;
    }
    const raw = await readBody(req);
    let body: FakeLlmRequest['body'];
    try {
      body = JSON.parse(raw) as FakeLlmRequest['body'];
    } catch {
      body = undefined;
    }
    const authorization = req.headers.authorization;
    const request: FakeLlmRequest = { body, authorization, path, at: Date.now() };
    const n = requests.push(request) - 1;
    const model = typeof body?.model === 'string' ? body.model : '';
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    const user = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const format = body?.response_format;
    const structured = typeof format === 'object' && format !== null && (format as { type?: unknown }).type === 'json_schema';
    // A server without structured output refuses such requests whatever is scripted (no step used).
    const refused = structured && options.structuredOutput === 'refuse';
    const step: FakeLlmStep = refused ? { type: 'format-unsupported' } : (queue.shift() ?? options.decide?.(request, n) ?? { type: 'ok' });
    request.answer = step.type;

    if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
      request.answer = 'rejected';
      const got = authorization?.replace(/^Bearer\s+/i, '') ?? '';
      apiError(res, 401, `Incorrect API key provided: ${got}. You can find your API key at https://example.invalid.`, 'invalid_request_error', 'invalid_api_key');
      return;
    }
    if (options.models && !options.models.includes(model)) {
      request.answer = 'rejected';
      apiError(res, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
      return;
    }
    switch (step.type) {
      case 'ok': {
        const delay = step.latencyMs ?? options.latencyMs ?? 0;
        const derived = structured && options.structuredOutput !== 'ignore' ? fakeStructuredAnswer(user) : fakeAnswer(user);
        const answer = (): void => {
          const body = completion(model, step.text ?? derived, user.length, 'stop', options.usage !== false);
          const u = body.usage as { total_tokens: number } | undefined;
          const now = Date.now();
          const limited = options.tokensPerMinute === undefined ? undefined : tokenLimit(usage, options.tokensPerMinute, u?.total_tokens ?? 0, now);
          if (limited?.refused) {
            overLimit++;
            apiError(res, 429, 'Rate limit reached for tokens per min', 'tokens', 'rate_limit_exceeded', limited.headers);
            return;
          }
          const limitHeaders = limited?.headers ?? {};
          if (u) usage.push({ at: now, tokens: u.total_tokens });
          sendJson(res, 200, body, { ...limitHeaders, ...step.headers });
        };
        if (delay <= 0) answer();
        else {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) answer();
            else request.abandoned = true;
          }, delay);
          timers.add(t);
        }
        return;
      }
      case 'rate-limit':
        apiError(res, 429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', {
          ...(step.retryAfter !== undefined ? { 'retry-after': step.retryAfter } : {}),
          ...step.headers,
        });
        return;
      case 'server-error':
        apiError(res, step.status ?? 503, 'The server is overloaded or not ready yet.', 'server_error', null);
        return;
      case 'unauthorized':
        apiError(res, 401, `Incorrect API key provided: ${authorization?.replace(/^Bearer\s+/i, '') ?? ''}.`, 'invalid_request_error', 'invalid_api_key');
        return;
      case 'forbidden':
        apiError(res, 403, 'You are not allowed to sample from this model', 'invalid_request_error', 'permission_denied');
        return;
      case 'model-not-found':
        apiError(res, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
        return;
      case 'refusal':
        apiError(res, 400, 'Your request was rejected as a result of our safety system.', 'invalid_request_error', 'content_policy_violation');
        return;
      case 'content-filter':
        sendJson(res, 200, completion(model, '', user.length, 'content_filter'));
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices": [ this is not json');
        return;
      case 'empty':
        sendJson(res, 200, completion(model, '', user.length));
        return;
      case 'format-unsupported':
        formatUnsupported(res);
        return;
      case 'hang':
        return; // never answer; close() destroys the socket
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return requests.length;
    },
    requests,
    usage,
    get overLimit() {
      return overLimit;
    },
    script(...steps: FakeLlmStep[]) {
      queue.push(...steps);
    },
    batchPlan(...plans: FakeBatchPlan[]) {
      batchApi.plan(...plans);
    },
    get batches() {
      return batchApi.batches;
    },
    reset() {
      batchApi.reset();
      requests.length = 0;
      usage.length = 0;
      overLimit = 0;
      queue = [];
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

// Standalone process mode.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const models: string[] = [];
  args.forEach((a, i) => {
    if (a === '--model' && args[i + 1]) models.push(args[i + 1] as string);
  });
  const port = Number(argValue(args, '--port') ?? 0);
  const latencyMs = Number(argValue(args, '--latency-ms') ?? 0);
  const apiKey = argValue(args, '--api-key');
  const tpm = argValue(args, '--tokens-per-minute');
  const llm = await startFakeLlm({ port, latencyMs, ...(apiKey ? { apiKey } : {}), ...(models.length ? { models } : {}), ...(tpm ? { tokensPerMinute: Number(tpm) } : {}) });
  process.stdout.write(`${llm.url}\n`);
  const stop = (): void => {
    void llm.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
