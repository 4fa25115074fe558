// Splitting long input for map-reduce never loses or reorders a character.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { detectLanguage } from '../../src/summarizer/language.js';
import { chunkEntries, inputSize, splitText } from '../../src/summarizer/map-reduce.js';
import { EN_DIARY, JA_DIARY } from './diaries.js';

describe('map-reduce splitting', () => {
  it('splitText: pieces concatenate back to the text, each within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 3000 }), fc.integer({ min: 2, max: 500 }), (text, max) => {
        const parts = splitText(text, max);
        assert.equal(parts.join(''), text);
        for (const p of parts) assert.ok(p.length <= max, `${p.length} > ${max}`);
      }),
      { numRuns: 300 },
    );
  });

  it('splitText prefers sentence ends and line breaks', () => {
    const parts = splitText(JA_DIARY, 300);
    assert.ok(parts.length >= 4, `${parts.length} parts`);
    for (const p of parts.slice(0, -1)) assert.match(p, /[。\n]$/u, `cut mid-sentence: …${p.slice(-10)}`);
  });

  it('chunkEntries: every entry text survives, in order, each chunk within the budget', () => {
    const entry = fc.record({ date: fc.constantFrom('2024-01-01', '2024-01-02', '2024-01-03'), text: fc.string({ maxLength: 900 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), fc.integer({ min: 100, max: 1000 }), (entries, max) => {
        const chunks = chunkEntries(entries, max);
        for (const c of chunks) assert.ok(inputSize(c) <= max, `chunk of ${inputSize(c)} > ${max}`);
        const flat = chunks.flat();
        // Re-join consecutive pieces of the same entry: the texts come back exactly, nothing left over.
        let i = 0;
        for (const e of entries) {
          let text = '';
          do {
            const piece = flat[i++];
            assert.ok(piece, 'ran out of pieces');
            assert.equal(piece.date, e.date);
            text += piece.text;
          } while (text.length < e.text.length);
          assert.equal(text, e.text);
        }
        assert.equal(i, flat.length, 'no extra pieces');
      }),
      { numRuns: 300 },
    );
  });
});

describe('language detection', () => {
  it('Japanese diaries, English diaries, and mixed text', () => {
    assert.equal(detectLanguage(JA_DIARY), 'ja');
    assert.equal(detectLanguage(EN_DIARY), 'en');
    assert.equal(detectLanguage('今日はGoogle MeetでProject Xのreviewをした。'), 'ja');
    assert.equal(detectLanguage('I had ラーメン for lunch with Emma and it was great.'), 'en');
    assert.equal(detectLanguage('会議'), 'ja');
    assert.equal(detectLanguage(''), 'en');
  });
});
