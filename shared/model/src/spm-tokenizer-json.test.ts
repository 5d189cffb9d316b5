import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HfTokenizer } from './hf-tokenizer.js';
import { readLlama2cTokenizer } from './llama2c-tokenizer-file.js';
import { spmEncode } from './spm-encoder.js';
import { spmToTokenizerJson } from './spm-tokenizer-json.js';
import { TestFixtures } from './test-fixtures.js';

/** llama2.c's encode() loop as written there: O(n^2), first maximum wins. */
function naiveEncode(pieces: readonly string[], scores: Float32Array, text: string): number[] {
  const lookup = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (!lookup.has(p)) lookup.set(p, i);
  });
  const tokens: number[] = [];
  for (const ch of text) {
    const id = lookup.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of new TextEncoder().encode(ch)) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const id = lookup.get(pieces[tokens[i]] + pieces[tokens[i + 1]]);
      if (id !== undefined && scores[id] > best) [best, bestId, bestIdx] = [scores[id], id, i];
    }
    if (bestIdx < 0) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}

/** Deterministic random strings over the vocabulary's pieces, ASCII, spaces, newlines and non-ASCII. */
function randomStrings(pieces: readonly string[], count: number): string[] {
  let s = 12345;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const extras = [' ', '  ', '\n', 'é', '€', '🦙', 'ß', '中文', '\t', '"', "'", '<s>', 'x</s>y'];
  return Array.from({ length: count }, () => {
    let out = '';
    const len = 1 + rnd(30);
    for (let i = 0; i < len; i++) {
      const r = rnd(10);
      if (r < 6) out += pieces[259 + rnd(pieces.length - 259)];
      else if (r < 8) out += String.fromCharCode(32 + rnd(95));
      else out += extras[rnd(extras.length)];
    }
    return out;
  });
}

const spm = readLlama2cTokenizer(TestFixtures.storiesTokenizer(), 512);
const { tokenizerJson, tokenizerConfig } = spmToTokenizerJson(spm);
const hf = new HfTokenizer(tokenizerJson, tokenizerConfig, { bosTokenId: 1, eosTokenIds: [2] });
const golden = TestFixtures.golden();
const samples = randomStrings(spm.pieces, 300);

test('heap SPM encoder matches llama2.c naive loop', () => {
  const vocab = (spm as unknown as { encoderVocab: Parameters<typeof spmEncode>[0] }).encoderVocab;
  for (const s of samples) {
    const text = ` ${s}`;
    assert.deepEqual(spmEncode(vocab, text), naiveEncode(spm.pieces, spm.scores, text), JSON.stringify(s));
  }
});

test('tokenizer.json from tok512 encodes golden prompts like llama2.c', () => {
  for (const c of golden.cases) assert.deepEqual(hf.encode(c.prompt), c.prompt_token_ids, c.prompt);
});

test('tokenizer.json from tok512 encodes and decodes random strings like the SPM tokenizer', () => {
  for (const s of samples) {
    const ids = spm.encode(s);
    assert.deepEqual(hf.encode(s), ids, JSON.stringify(s));
    // llama2.c drops the space after every BOS, HF only at the start: compare texts without inner BOS.
    if (ids.lastIndexOf(1) > 0) continue;
    assert.equal(hf.decode(ids), spm.decode(ids), JSON.stringify(s));
    assert.equal(
      hf.decode(ids.slice(2), { prevTokenId: ids[1] }),
      spm.decode(ids.slice(2), { prevTokenId: ids[1] }),
    );
  }
});

test('tokenizer.json decodes golden generations like llama2.c', () => {
  for (const c of golden.cases) {
    const gen = c.greedy_token_ids.filter((id) => id !== 1);
    const prev = c.prompt_token_ids[c.prompt_token_ids.length - 1];
    assert.equal(hf.decode([...c.prompt_token_ids, ...gen], { skipUnprintableBytes: true }), c.text);
    assert.equal(hf.decode(gen, { prevTokenId: prev, skipUnprintableBytes: true }), c.completion_text);
  }
});
