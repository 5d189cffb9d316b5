import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readLlama2cCheckpoint } from './llama2c-loader.js';
import { readLlama2cTokenizer } from './llama2c-tokenizer-file.js';
import { ModelFormatError } from './model-format-error.js';
import { TestFixtures } from './test-fixtures.js';

const golden = TestFixtures.golden();

test('stories260K header and tensors', () => {
  const { config, tensors } = readLlama2cCheckpoint(TestFixtures.storiesModel());
  assert.deepEqual(
    [
      config.dim,
      config.hiddenDim,
      config.nLayers,
      config.nHeads,
      config.nKvHeads,
      config.vocabSize,
      config.maxSeqLen,
    ],
    [64, 172, 5, 8, 4, 512, 512],
  );
  assert.equal(config.tiedEmbeddings, true);
  assert.equal(config.ropeStyle, 'interleaved');
  assert.equal(config.stopOnBos, true);
  assert.equal(tensors.has('lm_head.weight'), false);
  assert.equal(tensors.size, 2 + 9 * 5);
  assert.deepEqual(tensors.get('model.layers.4.self_attn.k_proj.weight')!.shape, [32, 64]);
  assert.deepEqual(tensors.get('model.layers.0.mlp.down_proj.weight')!.shape, [64, 172]);
  // model.norm is the last tensor before the freq_cis tables: check it against the raw file.
  const raw = fs.readFileSync(TestFixtures.storiesModel());
  const floats = 512 * 64 + 5 * (64 + 64 * 64 * 2 + 32 * 64 * 2 + 64 + 172 * 64 * 3);
  const norm = tensors.get('model.norm.weight')!.data;
  assert.deepEqual(Buffer.from(norm), raw.subarray(28 + floats * 4, 28 + floats * 4 + 256));
  assert.equal(28 + (floats + 64 + 2 * 512 * 4) * 4, raw.byteLength);
});

test('tokenizer reproduces golden prompt ids', () => {
  const tok = readLlama2cTokenizer(TestFixtures.storiesTokenizer(), 512);
  assert.equal(tok.vocabSize, 512);
  for (const c of golden.cases) assert.deepEqual(tok.encode(c.prompt), c.prompt_token_ids, c.prompt);
});

test('decoding golden generations gives text and completion_text', () => {
  const tok = readLlama2cTokenizer(TestFixtures.storiesTokenizer(), 512);
  for (const c of golden.cases) {
    const gen = c.greedy_token_ids.filter((id, i, all) => !(id === 1 && i === all.length - 1));
    const opts = { skipUnprintableBytes: true };
    assert.equal(tok.decode([...c.prompt_token_ids, ...gen], opts), c.text, c.prompt);
    const prev = c.prompt_token_ids[c.prompt_token_ids.length - 1];
    assert.equal(tok.decode(gen, { ...opts, prevTokenId: prev }), c.completion_text, c.prompt);
  }
});

test('decode keeps spaces after a non-BOS token and drops them after BOS or at the start', () => {
  const tok = readLlama2cTokenizer(TestFixtures.storiesTokenizer(), 512);
  assert.equal(tok.tokenPiece(403), ' Once');
  assert.equal(tok.decode([403], { prevTokenId: 378 }), ' Once');
  assert.equal(tok.decode([403], { prevTokenId: 1 }), 'Once');
  assert.equal(tok.decode([403, 407]), 'Once upon');
  // Byte fallback round-trips real UTF-8 unless safe_printf skipping is asked for.
  const ids = tok.encode('é€🦙', { addBos: false });
  assert.equal(tok.decode(ids), 'é€🦙');
  assert.notEqual(tok.decode(ids, { skipUnprintableBytes: true }), 'é€🦙');
});

test('special-token text is parsed by default and kept literal with parseSpecial false', () => {
  const tok = readLlama2cTokenizer(TestFixtures.storiesTokenizer(), 512);
  assert.deepEqual(tok.encode('</s>', { addBos: false }), [2]);
  assert.notDeepEqual(tok.encode('</s>', { addBos: false, parseSpecial: false }), [2]);
  assert.deepEqual(tok.encode('', { addBos: false }), []);
});

test('truncated tokenizer and checkpoint files throw ModelFormatError', () => {
  const dir = TestFixtures.tempDir();
  try {
    const tokBytes = fs.readFileSync(TestFixtures.storiesTokenizer());
    fs.writeFileSync(path.join(dir, 'tok.bin'), tokBytes.subarray(0, 3000));
    assert.throws(
      () => readLlama2cTokenizer(path.join(dir, 'tok.bin'), 512),
      (e) => e instanceof ModelFormatError && e.problem === 'truncated',
    );
    const model = fs.readFileSync(TestFixtures.storiesModel());
    fs.writeFileSync(path.join(dir, 'm.bin'), model.subarray(0, 500_000));
    assert.throws(
      () => readLlama2cCheckpoint(path.join(dir, 'm.bin')),
      (e) => e instanceof ModelFormatError && e.problem === 'truncated' && e.path.endsWith('m.bin'),
    );
    fs.writeFileSync(path.join(dir, 'junk.bin'), Buffer.alloc(1024, 0xff));
    assert.throws(
      () => readLlama2cCheckpoint(path.join(dir, 'junk.bin')),
      (e) => e instanceof ModelFormatError && e.problem === 'bad-magic',
    );
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

/** Re-serialises stories260K in llama2.c's v1 ('ak42') layout, optionally with a separate classifier. */
function writeV1(file: string, untied: boolean): void {
  const { config: c, tensors } = readLlama2cCheckpoint(TestFixtures.storiesModel());
  const header = Buffer.alloc(256);
  header.writeUInt32LE(0x616b3432, 0);
  header.writeInt32LE(1, 4);
  [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.maxSeqLen].forEach((v, i) => {
    header.writeInt32LE(v, 8 + 4 * i);
  });
  header[36] = untied ? 0 : 1;
  const layer = (suffix: string) =>
    Array.from({ length: c.nLayers }, (_, i) => `model.layers.${i}.${suffix}`);
  const order = [
    ...layer('input_layernorm.weight'),
    ...layer('post_attention_layernorm.weight'),
    'model.norm.weight',
    'model.embed_tokens.weight',
    ...['q', 'k', 'v', 'o'].flatMap((x) => layer(`self_attn.${x}_proj.weight`)),
    ...['gate', 'down', 'up'].flatMap((x) => layer(`mlp.${x}_proj.weight`)),
  ];
  const parts = [header, ...order.map((n) => Buffer.from(tensors.get(n)!.data))];
  if (untied) parts.push(Buffer.from(tensors.get('model.embed_tokens.weight')!.data).reverse());
  fs.writeFileSync(file, Buffer.concat(parts));
}

test('v1 (ak42) exports and untied classifiers load with the same tensors', () => {
  const dir = TestFixtures.tempDir();
  try {
    const ref = readLlama2cCheckpoint(TestFixtures.storiesModel());
    writeV1(path.join(dir, 'v1.bin'), false);
    const v1 = readLlama2cCheckpoint(path.join(dir, 'v1.bin'));
    assert.deepEqual(v1.config, ref.config);
    for (const [name, t] of ref.tensors)
      assert.deepEqual(Buffer.from(v1.tensors.get(name)!.data), Buffer.from(t.data));
    writeV1(path.join(dir, 'v1u.bin'), true);
    const untied = readLlama2cCheckpoint(path.join(dir, 'v1u.bin'));
    assert.equal(untied.config.tiedEmbeddings, false);
    const head = untied.tensors.get('lm_head.weight')!;
    assert.deepEqual(head.shape, [512, 64]);
    assert.deepEqual(
      Buffer.from(head.data),
      Buffer.from(ref.tensors.get('model.embed_tokens.weight')!.data).reverse(),
    );
    // v0 with negative vocab_size: the classifier follows the freq_cis tables.
    const v0 = Buffer.from(fs.readFileSync(TestFixtures.storiesModel()));
    v0.writeInt32LE(-512, 20);
    const wcls = Buffer.alloc(512 * 64 * 4);
    wcls.writeFloatLE(1.5, 4);
    fs.writeFileSync(path.join(dir, 'v0u.bin'), Buffer.concat([v0, wcls]));
    const v0u = readLlama2cCheckpoint(path.join(dir, 'v0u.bin'));
    assert.equal(v0u.config.tiedEmbeddings, false);
    assert.equal(Buffer.from(v0u.tensors.get('lm_head.weight')!.data).readFloatLE(4), 1.5);
    const v2 = Buffer.from(fs.readFileSync(path.join(dir, 'v1.bin')));
    v2.writeInt32LE(2, 4);
    fs.writeFileSync(path.join(dir, 'v2.bin'), v2);
    assert.throws(
      () => readLlama2cCheckpoint(path.join(dir, 'v2.bin')),
      (e) => e instanceof ModelFormatError && e.problem === 'unsupported-version',
    );
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
