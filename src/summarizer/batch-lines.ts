// The JSONL of a provider batch: the request lines we upload, and the output and error lines we
// read back. Reading is strict and loses nothing: a line that is not JSON, has no custom_id, names
// a request the batch does not hold, or names one twice is rejected and counted; every request
// without exactly one usable answer is reported failed, so it runs live.
import { z } from 'zod';

/** One request line: a Chat Completions body under its custom_id. */
export function requestLine(customId: string, body: unknown): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body });
}

const ResultLineSchema = z.looseObject({
  custom_id: z.string().min(1),
  response: z.looseObject({ status_code: z.number().int(), body: z.unknown() }).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

export interface RejectedLine {
  file: 'output' | 'error';
  /** 1-based. */
  line: number;
  reason: 'not_json' | 'no_custom_id' | 'not_a_result' | 'unknown_custom_id' | 'duplicate_custom_id';
  customId?: string;
}

export interface BatchResults {
  /** custom_id → the Chat Completions body the provider answered with (HTTP 200). */
  answers: Map<string, unknown>;
  /** custom_id → why it has no usable answer (an error line, a non-200, a duplicate). */
  failed: Map<string, string>;
  rejected: RejectedLine[];
}

/**
 * Reads a batch's output and error files against the custom_ids it holds. A custom_id that occurs
 * twice (in either file) has no trustworthy answer: it is failed, and its lines are rejected.
 */
export function readBatchResults(files: { output?: string; error?: string }, expected: ReadonlySet<string>): BatchResults {
  const answers = new Map<string, unknown>();
  const failed = new Map<string, string>();
  const rejected: RejectedLine[] = [];
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const file of ['output', 'error'] as const) {
    const text = files[file];
    if (!text) continue;
    text.split('\n').forEach((raw, i) => {
      const line = i + 1;
      if (raw.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        rejected.push({ file, line, reason: 'not_json' });
        return;
      }
      const id = typeof json === 'object' && json !== null ? (json as { custom_id?: unknown }).custom_id : undefined;
      if (typeof id !== 'string' || id === '') {
        rejected.push({ file, line, reason: 'no_custom_id' });
        return;
      }
      const parsed = ResultLineSchema.safeParse(json);
      if (!parsed.success) {
        rejected.push({ file, line, reason: 'not_a_result', customId: id });
        return;
      }
      if (!expected.has(id)) {
        rejected.push({ file, line, reason: 'unknown_custom_id', customId: id });
        return;
      }
      if (seen.has(id)) {
        rejected.push({ file, line, reason: 'duplicate_custom_id', customId: id });
        duplicated.add(id);
        return;
      }
      seen.add(id);
      const { response, error } = parsed.data;
      if (error) failed.set(id, `batch error ${error.code ?? ''}: ${(error.message ?? '').slice(0, 200)}`.trim());
      else if (response && response.status_code === 200) answers.set(id, response.body);
      else failed.set(id, `batch answered HTTP ${response?.status_code ?? 'none'}`);
    });
  }
  for (const id of duplicated) {
    answers.delete(id);
    failed.set(id, 'the provider answered this request more than once');
  }
  return { answers, failed, rejected };
}
