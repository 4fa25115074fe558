// The fake LLM's Batch API (OpenAI's /v1/files and /v1/batches), on the same loopback server.
//
//   llm.batchPlan({ end: 'expired', answered: 2 }, { failLines: (id, i) => i % 3 === 0 })  // next batches, in order
//   llm.batches   // [{ id, status, lines, polls, inputFileId, outputFileId, errorFileId, customIds }]
//
// An upload (POST /files, multipart, purpose "batch") is stored; POST /batches over it makes a batch
// that moves one status per GET /batches/{id}: validating → in_progress → finalizing → completed
// (end 'completed', the default), in_progress → expired (end 'expired'), in_progress → cancelling →
// cancelled (end 'cancelled'). A batch whose input is wrong (a line not JSON, without custom_id, a
// custom_id twice, another url) goes from validating to failed, as OpenAI's does. When it ends, each
// answered line gets the live fake's answer for its body (same text, same usage) in the output
// file; lines picked by `failLines` go to the error file (alternately an error object and an HTTP
// 500 response); with end expired or cancelled only the first `answered` lines are answered, the
// rest are in the error file as expired (cancelled: in no file at all). `corrupt` adds bad output
// lines: 'not-json', 'missing-id', 'duplicate' (a second answer for the first answered line),
// 'unknown-id'. Batch answers never count as live calls (llm.calls).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiError, readBody, sendJson } from './fake-llm-wire.js';

export interface FakeBatchPlan {
  end?: 'completed' | 'expired' | 'cancelled';
  /** With end expired or cancelled: how many lines, from the first, were answered. @defaultValue 0 */
  answered?: number;
  /** Lines that fail (error file). */
  failLines?: (customId: string, index: number) => boolean;
  corrupt?: ReadonlyArray<'not-json' | 'missing-id' | 'duplicate' | 'unknown-id'>;
}

export interface FakeBatch {
  id: string;
  status: string;
  inputFileId: string;
  lines: number;
  customIds: string[];
  polls: number;
  outputFileId: string | null;
  errorFileId: string | null;
  metadata: unknown;
  plan: FakeBatchPlan;
}

/** The live fake's answer body for a request body. */
export type AnswerFor = (body: Record<string, unknown>) => Record<string, unknown>;

export interface FakeBatchApi {
  /** True when it answered the request (a batch route). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  plan(...plans: FakeBatchPlan[]): void;
  readonly batches: readonly FakeBatch[];
  reset(): void;
}

export function fakeBatchApi(answerFor: AnswerFor): FakeBatchApi {
  const files = new Map<string, string>();
  let batches: FakeBatch[] = [];
  let plans: FakeBatchPlan[] = [];
  let seq = 0;

  function info(b: FakeBatch): Record<string, unknown> {
    return {
      id: b.id, object: 'batch', endpoint: '/v1/chat/completions', completion_window: '24h', status: b.status,
      input_file_id: b.inputFileId, output_file_id: b.outputFileId, error_file_id: b.errorFileId, metadata: b.metadata,
      request_counts: { total: b.lines },
      ...(b.status === 'failed' ? { errors: { object: 'list', data: [{ code: 'invalid_request', message: 'the input file is not valid JSONL of batch requests' }] } } : {}),
    };
  }

  function validInput(content: string): { ids: string[]; bodies: Record<string, unknown>[] } | undefined {
    const ids: string[] = [];
    const bodies: Record<string, unknown>[] = [];
    for (const raw of content.split('\n')) {
      if (raw.trim() === '') continue;
      let line: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
      try {
        line = JSON.parse(raw) as typeof line;
      } catch {
        return undefined;
      }
      if (typeof line.custom_id !== 'string' || ids.includes(line.custom_id)) return undefined;
      if (line.method !== 'POST' || line.url !== '/v1/chat/completions' || typeof line.body !== 'object' || line.body === null) return undefined;
      ids.push(line.custom_id);
      bodies.push(line.body as Record<string, unknown>);
    }
    return ids.length > 0 ? { ids, bodies } : undefined;
  }

  function finish(b: FakeBatch, bodies: Record<string, unknown>[]): void {
    const out: string[] = [];
    const err: string[] = [];
    const end = b.plan.end ?? 'completed';
    const answered = end === 'completed' ? b.customIds.length : (b.plan.answered ?? 0);
    b.customIds.forEach((id, i) => {
      if (i >= answered) {
        if (end === 'expired') err.push(JSON.stringify({ id: `req_${i}`, custom_id: id, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
        return;
      }
      if (b.plan.failLines?.(id, i)) {
        err.push(
          i % 2 === 0
            ? JSON.stringify({ id: `req_${i}`, custom_id: id, response: null, error: { code: 'server_error', message: 'the model failed' } })
            : JSON.stringify({ id: `req_${i}`, custom_id: id, response: { status_code: 500, request_id: `r${i}`, body: { error: { message: 'overloaded' } } }, error: null }),
        );
        return;
      }
      out.push(JSON.stringify({ id: `req_${i}`, custom_id: id, response: { status_code: 200, request_id: `r${i}`, body: answerFor(bodies[i] as Record<string, unknown>) }, error: null }));
    });
    for (const c of b.plan.corrupt ?? []) {
      if (c === 'not-json') out.push('{"custom_id": "daily:oops", this is not json');
      if (c === 'missing-id') out.push(JSON.stringify({ id: 'req_x', response: { status_code: 200, body: {} }, error: null }));
      if (c === 'unknown-id') out.push(JSON.stringify({ id: 'req_y', custom_id: 'daily:00000000-0000-0000-0000-000000000000:2020-01-01:v1', response: { status_code: 200, body: answerFor(bodies[0] as Record<string, unknown>) }, error: null }));
      if (c === 'duplicate' && out[0]) out.push(out[0]);
    }
    if (out.length > 0) {
      b.outputFileId = `file-out-${++seq}`;
      files.set(b.outputFileId, out.join('\n') + '\n');
    }
    if (err.length > 0) {
      b.errorFileId = `file-err-${++seq}`;
      files.set(b.errorFileId, err.join('\n') + '\n');
    }
  }

  /** One step of the batch's life per poll. */
  function advance(b: FakeBatch): void {
    b.polls++;
    const end = b.plan.end ?? 'completed';
    const input = validInput(files.get(b.inputFileId) ?? '');
    switch (b.status) {
      case 'validating':
        b.status = input ? 'in_progress' : 'failed';
        return;
      case 'in_progress':
        if (end === 'completed') b.status = 'finalizing';
        else if (end === 'expired') {
          b.status = 'expired';
          finish(b, input?.bodies ?? []);
        } else b.status = 'cancelling';
        return;
      case 'finalizing':
        b.status = 'completed';
        finish(b, input?.bodies ?? []);
        return;
      case 'cancelling':
        b.status = 'cancelled';
        finish(b, input?.bodies ?? []);
        return;
    }
  }

  return {
    async handle(req, res, path) {
      const m = /\/(files|batches)(?:\/([^/]+))?(?:\/(content))?$/.exec(path);
      if (!m) return false;
      const [, kind, id, content] = m;
      if (req.method === 'POST' && kind === 'files' && !id) {
        const raw = await readBody(req);
        const form = await new Request('http://fake/files', { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? '' }, body: raw }).formData().catch(() => undefined);
        const file = form?.get('file');
        if (!form || form.get('purpose') !== 'batch' || !(file instanceof Blob)) {
          apiError(res, 400, 'expected multipart with purpose=batch and a file', 'invalid_request_error', null);
          return true;
        }
        const fileId = `file-in-${++seq}`;
        files.set(fileId, await file.text());
        sendJson(res, 200, { id: fileId, object: 'file', purpose: 'batch', bytes: file.size });
        return true;
      }
      if (req.method === 'GET' && kind === 'files' && id && content) {
        const text = files.get(id);
        if (text === undefined) apiError(res, 404, `no file ${id}`, 'invalid_request_error', null);
        else {
          res.writeHead(200, { 'content-type': 'application/jsonl' });
          res.end(text);
        }
        return true;
      }
      if (req.method === 'POST' && kind === 'batches' && !id) {
        const body = JSON.parse(String(await readBody(req))) as { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: unknown };
        if (!body.input_file_id || !files.has(body.input_file_id) || body.endpoint !== '/v1/chat/completions' || body.completion_window !== '24h') {
          apiError(res, 400, 'bad batch request', 'invalid_request_error', null);
          return true;
        }
        const input = validInput(files.get(body.input_file_id) ?? '');
        const b: FakeBatch = {
          id: `batch_${++seq}`, status: 'validating', inputFileId: body.input_file_id, lines: input?.ids.length ?? 0,
          customIds: input?.ids ?? [], polls: 0, outputFileId: null, errorFileId: null, metadata: body.metadata ?? null,
          plan: plans.shift() ?? {},
        };
        batches.push(b);
        sendJson(res, 200, info(b));
        return true;
      }
      if (req.method === 'GET' && kind === 'batches' && id) {
        const b = batches.find((x) => x.id === id);
        if (!b) apiError(res, 404, `no batch ${id}`, 'invalid_request_error', null);
        else {
          advance(b);
          sendJson(res, 200, info(b));
        }
        return true;
      }
      return false;
    },
    plan(...p) {
      plans.push(...p);
    },
    get batches() {
      return batches;
    },
    reset() {
      files.clear();
      batches = [];
      plans = [];
    },
  };
}
