// The provider's Batch API (OpenAI's /v1/files and /v1/batches) over undici, for LLM_BATCH=on.
// Only the operator's endpoint (LLM_BASE_URL, trusted like the live calls to it) is ever batched,
// with LLM_API_KEY; users' own endpoints and keys stay live. The key is sent only in the
// Authorization header and scrubbed from any text of the server's that reaches an error.
import { FormData, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { redactUrl } from '../config.js';
import { scrubSecrets } from './openai-answers.js';

/** What the provider says of a batch (the fields we act on). */
export const BatchInfoSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(['validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled']),
  output_file_id: z.string().nullish(),
  error_file_id: z.string().nullish(),
  errors: z.unknown().optional(),
});
export type BatchInfo = z.infer<typeof BatchInfoSchema>;

/** Statuses after which the provider changes nothing more: its files can be read. */
export const ENDED_STATUSES: ReadonlySet<BatchInfo['status']> = new Set(['completed', 'failed', 'expired', 'cancelled']);

const FileSchema = z.looseObject({ id: z.string().min(1) });

export interface BatchApiOptions {
  /** LLM_BASE_URL, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Per request. @defaultValue 60 000 */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export class BatchApiError extends Error {
  override readonly name = 'BatchApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export class BatchApi {
  readonly #base: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(options: BatchApiOptions) {
    this.#base = new URL(options.baseUrl).href.replace(/\/+$/, '');
    this.#apiKey = options.apiKey || undefined;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#dispatcher = options.dispatcher;
  }

  /** POST /files, purpose "batch": the JSONL input of a batch. Returns the file's id. */
  async uploadJsonl(filename: string, jsonl: string): Promise<string> {
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([jsonl], { type: 'application/jsonl' }), filename);
    const body = await this.#call('POST', '/files', form);
    return this.#parse(FileSchema, body, 'file').id;
  }

  /** POST /batches over an uploaded file, for /v1/chat/completions within 24 h. */
  async createBatch(inputFileId: string, metadata: Record<string, string>): Promise<BatchInfo> {
    const body = await this.#call(
      'POST',
      '/batches',
      JSON.stringify({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata }),
    );
    return this.#parse(BatchInfoSchema, body, 'batch');
  }

  async getBatch(id: string): Promise<BatchInfo> {
    return this.#parse(BatchInfoSchema, await this.#call('GET', `/batches/${encodeURIComponent(id)}`), 'batch');
  }

  /** GET /files/{id}/content: the output or error JSONL of a batch. */
  fileContent(id: string): Promise<string> {
    return this.#call('GET', `/files/${encodeURIComponent(id)}/content`);
  }

  async #call(method: 'GET' | 'POST', path: string, body?: string | FormData): Promise<string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    const url = this.#base + path;
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const detail = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new BatchApiError(`${method} ${redactUrl(url)}: ${this.#scrub(detail)}`, undefined);
    }
    if (status < 200 || status >= 300) {
      throw new BatchApiError(`${method} ${redactUrl(url)}: HTTP ${status}: ${this.#scrub(text.slice(0, 300))}`, status);
    }
    return text;
  }

  #parse<S extends z.ZodType>(schema: S, raw: string, what: string): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new BatchApiError(`the provider's ${what} answer is not JSON`, undefined);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new BatchApiError(`the provider's ${what} answer is not one: ${parsed.error.issues[0]?.message ?? ''}`, undefined);
    return parsed.data;
  }

  #scrub(text: string): string {
    return scrubSecrets(text, this.#apiKey);
  }
}
