import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ByteLevel } from './byte-level.js';
import { loadGgufModel, writeGgufModel } from './gguf-model.js';
import { PRE_TOKENIZER_REGEX } from './gpt2-tokenizer-json.js';
import { loadHfModel } from './hf-loader.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { writeHfModel } from './hf-writer.js';
import { randomTensorEntries } from './random-weights.js';
import { TestFixtures } from './test-fixtures.js';
import type { ModelConfig } from './types.js';

const tmp = TestFixtures.tempDir();
after(() => fs.rmSync(tmp, { recursive: true }));

/** A small Qwen2-style byte-level BPE tokenizer.json: 256 byte symbols, a few merges, ChatML specials. */
function byteLevelTokenizer(): { json: Record<string, unknown>; specials: Record<string, number> } {
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[ByteLevel.byteChar(b)] = b;
  const merges: string[][] = [];
  const add = (a: string, b: string) => {
    merges.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
  };
  const G = ByteLevel.byteChar(0x20);
  for (const [a, b] of [
    [G, 't'],
    ['h', 'e'],
    [`${G}t`, 'he'],
    ['i', 'n'],
    [G, 'a'],
    ['e', 'r'],
    ['in', 'g'],
    [G, 'c'],
    [`${G}c`, 'a'],
    [`${G}ca`, 't'],
  ])
    add(a, b);
  const é = ByteLevel.encode('é');
  add(é[0], é[1]);
  const n = Object.keys(vocab).length;
  const specials = { '<|endoftext|>': n, '<|im_start|>': n + 1, '<|im_end|>': n + 2 };
  const json = {
    version: '1.0',
    added_tokens: Object.entries(specials).map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZER_REGEX.qwen2 }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return { json, specials };
}

const { json, specials } = byteLevelTokenizer();
const eos = specials['<|im_end|>'];
const tokenizer = new HfTokenizer(
  json,
  { add_bos_token: false, eos_token: '<|im_end|>' },
  { bosTokenId: specials['<|endoftext|>'], eosTokenIds: [eos, specials['<|endoftext|>']] },
);
const config: ModelConfig = {
  architecture: 'qwen2',
  dim: 64,
  hiddenDim: 128,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 16,
  vocabSize: tokenizer.vocabSize,
  maxSeqLen: 1024,
  normEps: 1e-6,
  ropeTheta: 1000000,
  ropeStyle: 'neox',
  tiedEmbeddings: true,
  qkvBias: true,
  bosTokenId: specials['<|endoftext|>'],
  eosTokenIds: [eos, specials['<|endoftext|>']],
};
const model = {
  config,
  tensors: randomTensorEntries(config, { seed: 3 }),
  tokenizer,
  chatTemplate: '{{ messages }}',
};
const samples = [
  'the cat',
  'The cats are eating in the café',
  '<|im_start|>user\nhello<|im_end|>\n',
  'naïve 🦙 123456 ',
  '  x\n\n',
];

test('byte-level tokenizer sanity: merges apply, specials parse, no BOS by default', () => {
  const ids = tokenizer.encode(' the cat');
  assert.deepEqual(
    ids.map((id) => tokenizer.tokenPiece(id)),
    [' the', ' cat'],
  );
  assert.deepEqual(tokenizer.encode('<|im_end|>'), [eos]);
  assert.equal(tokenizer.decode(tokenizer.encode('naïve 🦙')), 'naïve 🦙');
});

test('Qwen2 with byte-level BPE: GGUF (gpt2 tokenizer, qwen2 pre, qkv bias) round-trip', () => {
  const file = path.join(tmp, 'qwen.gguf');
  writeGgufModel(file, model);
  const back = loadGgufModel(file);
  assert.deepEqual(back.config, config);
  assert.equal(back.chatTemplate, '{{ messages }}');
  assert.equal(back.tensors.get('model.layers.1.self_attn.k_proj.bias')!.shape.join(), '32');
  const bias = model.tensors.find((t) => t.name === 'model.layers.1.self_attn.k_proj.bias')!;
  assert.deepEqual(Buffer.from(back.tensors.get(bias.name)!.data), Buffer.from(bias.load()));
  for (const s of samples) {
    assert.deepEqual(back.tokenizer.encode(s), tokenizer.encode(s), s);
    assert.equal(back.tokenizer.decode(tokenizer.encode(s)), tokenizer.decode(tokenizer.encode(s)), s);
  }
});

test('Qwen2 HF directory round-trip keeps biases and eos list', () => {
  const dir = path.join(tmp, 'qwen-hf');
  writeHfModel(dir, model);
  const back = loadHfModel(dir);
  assert.deepEqual(back.config, config);
  assert.ok(back.tensors.has('model.layers.0.self_attn.q_proj.bias'));
  assert.equal(back.chatTemplate, '{{ messages }}');
  // Templates may also come as a named list or as chat_template.jinja.
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  fs.writeFileSync(
    cfgFile,
    JSON.stringify({
      ...cfg,
      chat_template: [
        { name: 'tool_use', template: 't' },
        { name: 'default', template: 'd' },
      ],
    }),
  );
  assert.equal(loadHfModel(dir).chatTemplate, 'd');
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, chat_template: undefined }));
  fs.writeFileSync(path.join(dir, 'chat_template.jinja'), 'j');
  assert.equal(loadHfModel(dir).chatTemplate, 'j');
  for (const s of samples) assert.deepEqual(back.tokenizer.encode(s), tokenizer.encode(s), s);
});
