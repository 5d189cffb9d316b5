import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { convertModel } from './convert-model.js';
import { loadGgufModel, writeGgufModel } from './gguf-model.js';
import { loadHfModel } from './hf-loader.js';
import { writeHfModel } from './hf-writer.js';
import { detectModelFormat, loadModel } from './load-model.js';
import { modelFingerprint } from './model-fingerprint.js';
import { ModelFormatError } from './model-format-error.js';
import { TestFixtures } from './test-fixtures.js';
import type { LoadedModel } from './types.js';

const tmp = TestFixtures.tempDir();
after(() => fs.rmSync(tmp, { recursive: true }));
const golden = TestFixtures.golden();

test('loadModel detects llama2.c (tokenizer beside it), HF and GGUF', () => {
  const stories = loadModel(TestFixtures.storiesModel());
  assert.equal(stories.source.format, 'llama2c');
  assert.deepEqual(stories.tokenizer.encode(golden.cases[0].prompt), golden.cases[0].prompt_token_ids);
  const lonely = path.join(tmp, 'lonely');
  fs.mkdirSync(lonely);
  fs.copyFileSync(TestFixtures.storiesModel(), path.join(lonely, 'm.bin'));
  assert.throws(
    () => loadModel(path.join(lonely, 'm.bin')),
    (e) => e instanceof ModelFormatError && e.problem === 'io',
  );
  assert.equal(
    loadModel(path.join(lonely, 'm.bin'), { tokenizerPath: TestFixtures.storiesTokenizer() }).config.dim,
    64,
  );
  const hf = convertModel(TestFixtures.storiesModel(), path.join(tmp, 'hf'), { format: 'hf' });
  const gguf = convertModel(hf, path.join(tmp, 'out', 'm.gguf'), { format: 'gguf' });
  assert.equal(detectModelFormat(hf), 'hf');
  assert.equal(detectModelFormat(gguf), 'gguf');
  assert.throws(
    () => detectModelFormat(path.join(tmp, 'nope')),
    (e) => e instanceof ModelFormatError,
  );
});

test('llama2.c -> HF -> GGUF -> HF chain keeps config, weights and tokenization', () => {
  const src = loadModel(TestFixtures.storiesModel());
  const hf1 = loadModel(convertModel(src, path.join(tmp, 'c1'), { format: 'hf' }));
  const gg = loadModel(convertModel(hf1, path.join(tmp, 'c2.gguf'), { format: 'gguf' }));
  const hf2 = loadModel(convertModel(gg, path.join(tmp, 'c3'), { format: 'hf' }));
  assert.deepEqual(gg.config, src.config);
  assert.deepEqual(hf2.config, hf1.config);
  assert.equal(modelFingerprint(gg), modelFingerprint(src));
  assert.equal(modelFingerprint(hf2), modelFingerprint(hf1));
  for (const m of [hf1, gg, hf2]) {
    for (const c of golden.cases) assert.deepEqual(m.tokenizer.encode(c.prompt), c.prompt_token_ids);
  }
});

test('fingerprint changes with config, weights and dtype', () => {
  const src = loadModel(TestFixtures.storiesModel());
  const base = modelFingerprint(src);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.notEqual(modelFingerprint({ ...src, config: { ...src.config, ropeTheta: 500000 } }), base);
  const tensors = new Map(src.tensors);
  const norm = tensors.get('model.norm.weight')!;
  const changed = new Uint8Array(norm.data);
  changed[0] ^= 1;
  tensors.set('model.norm.weight', { ...norm, data: changed });
  assert.notEqual(modelFingerprint({ ...src, tensors }), base);
  const bf16 = loadModel(convertModel(src, path.join(tmp, 'bf'), { format: 'hf', dtype: 'bf16' }));
  assert.notEqual(modelFingerprint(bf16), modelFingerprint(loadModel(path.join(tmp, 'c1'))));
});

test('mistral architecture, llama3 and linear rope scaling, eos lists survive HF and GGUF', () => {
  const src = loadModel(TestFixtures.storiesModel());
  for (const ropeScaling of [
    {
      type: 'llama3' as const,
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    },
    { type: 'linear' as const, factor: 2.5 },
  ]) {
    const config = {
      ...src.config,
      architecture: 'mistral' as const,
      ropeScaling,
      eosTokenIds: [2, 5],
      ropeTheta: 500000,
      normEps: 1e-6,
    };
    const model: LoadedModel = { ...src, config };
    writeHfModel(path.join(tmp, 'mis'), model);
    assert.deepEqual(loadHfModel(path.join(tmp, 'mis')).config, { ...config, ropeStyle: 'neox' });
    writeGgufModel(path.join(tmp, 'mis.gguf'), model);
    assert.deepEqual(loadGgufModel(path.join(tmp, 'mis.gguf')).config, config);
  }
});

test('HF config parsing: defaults, eos from generation_config, unsupported rope scaling', () => {
  const dir = path.join(tmp, 'c1');
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { head_dim: _h, num_key_value_heads: _k, rope_theta: _t, ...rest } = config;
  fs.writeFileSync(file, JSON.stringify({ ...rest, num_key_value_heads: 4 }));
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [7, 2] }));
  const c = loadHfModel(dir).config;
  assert.equal(c.headDim, 8);
  assert.equal(c.ropeTheta, 10000);
  assert.deepEqual(c.eosTokenIds, [7, 2]);
  fs.writeFileSync(file, JSON.stringify({ ...config, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
  assert.throws(
    () => loadHfModel(dir),
    (e) => e instanceof ModelFormatError && e.problem === 'unsupported',
  );
});
