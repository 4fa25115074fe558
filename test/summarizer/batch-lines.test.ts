// Reading a provider batch's output and error files: every bad line is rejected and named, and
// every request without exactly one usable answer is failed (so it runs live): nothing is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readBatchResults, requestLine } from '../../src/summarizer/batch-lines.js';

const ok = (id: string, text: string) => JSON.stringify({ id: 'r', custom_id: id, response: { status_code: 200, body: { choices: [{ message: { content: text } }] } }, error: null });

test('a request line is a POST to /v1/chat/completions under its custom_id', () => {
  assert.deepEqual(JSON.parse(requestLine('daily:u:2024-01-01:v3', { model: 'm' })), {
    custom_id: 'daily:u:2024-01-01:v3',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'm' },
  });
});

test('answers, error lines and non-200 responses are told apart per custom_id', () => {
  const r = readBatchResults(
    {
      output: [ok('a', 'A'), JSON.stringify({ custom_id: 'b', response: { status_code: 429, body: {} }, error: null }), ''].join('\n'),
      error: JSON.stringify({ custom_id: 'c', response: null, error: { code: 'batch_expired', message: 'too late' } }),
    },
    new Set(['a', 'b', 'c', 'd']),
  );
  assert.deepEqual([...r.answers.keys()], ['a']);
  assert.match(r.failed.get('b') ?? '', /HTTP 429/);
  assert.match(r.failed.get('c') ?? '', /batch_expired: too late/);
  assert.equal(r.answers.has('d') || r.failed.has('d'), false, 'a request in no file is neither: the caller runs it live');
  assert.deepEqual(r.rejected, []);
});

test('wrong JSONL, a missing custom_id, an unknown one and a duplicate are rejected, and the duplicate loses its answer', () => {
  const r = readBatchResults(
    {
      output: [
        ok('a', 'A'),
        '{"custom_id": "b", not json',
        JSON.stringify({ response: { status_code: 200, body: {} } }),
        ok('stranger', 'S'),
        ok('b', 'B'),
        ok('a', 'A again'),
        JSON.stringify({ custom_id: 'c', response: 'not an object' }),
      ].join('\n'),
    },
    new Set(['a', 'b', 'c']),
  );
  assert.deepEqual(
    r.rejected.map((x) => [x.line, x.reason, x.customId]),
    [
      [2, 'not_json', undefined],
      [3, 'no_custom_id', undefined],
      [4, 'unknown_custom_id', 'stranger'],
      [6, 'duplicate_custom_id', 'a'],
      [7, 'not_a_result', 'c'],
    ],
  );
  assert.deepEqual([...r.answers.keys()], ['b'], 'only b has exactly one usable answer');
  assert.match(r.failed.get('a') ?? '', /more than once/, 'a duplicated answer is not trusted: the request runs live');
  assert.equal(r.answers.has('c'), false);
});

test('a custom_id in both files counts as a duplicate', () => {
  const r = readBatchResults({ output: ok('a', 'A'), error: JSON.stringify({ custom_id: 'a', response: null, error: { code: 'x' } }) }, new Set(['a']));
  assert.equal(r.answers.size, 0);
  assert.equal(r.rejected[0]?.file, 'error');
  assert.equal(r.rejected[0]?.reason, 'duplicate_custom_id');
});
