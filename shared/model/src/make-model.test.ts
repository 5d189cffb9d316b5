import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from './load-model.js';
import { makeModel } from './make-model.js';
import { ModelFormatError } from './model-format-error.js';
import { permuteRopeRows } from './rope-permute.js';
import { TensorCodec } from './tensor-codec.js';
import { TestFixtures } from './test-fixtures.js';

const tmp = TestFixtures.tempDir();
after(() => fs.rmSync(tmp, { recursive: true }));

const samples = [
  'Once upon a time, there was a little girl named Lily.',
  'héllo wörld 🦙 naïve café — “quotes” 中文字符',
  '  leading spaces\n\nand\ttabs  ',
  'def f(x):\n    return x ** 2  # comment',
  '<s>[INST] hi [/INST]',
];

test('tiny HF f32 model: shapes, finite scaled weights, unit norms, llama2 tokenizer', () => {
  const { path: dir, config } = makeModel({
    shape: 'tiny',
    format: 'hf',
    dtype: 'f32',
    out: path.join(tmp, 'hf'),
    seed: 7,
  });
  const m = loadModel(dir);
  assert.deepEqual(m.config, config);
  assert.equal(m.tensors.get('model.embed_tokens.weight')!.shape.join(), '32000,64');
  const w = TensorCodec.toF32(m.tensors.get('model.layers.1.mlp.down_proj.weight')!);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `mean ${mean} std ${std}`);
  assert.ok(TensorCodec.toF32(m.tensors.get('model.norm.weight')!).every((v) => v === 1));
  const ids = m.tokenizer.encode('Once upon a time');
  assert.deepEqual(
    ids.map((id) => m.tokenizer.tokenPiece(id)),
    ['<s>', ' Once', ' upon', ' a', ' time'],
  );
  assert.equal(m.tokenizer.decode(ids), 'Once upon a time');
});

test('same seed gives the same function in GGUF (q/k interleaved) and HF', () => {
  makeModel({ shape: 'tiny', format: 'gguf', dtype: 'f32', out: path.join(tmp, 'a.gguf'), seed: 7 });
  makeModel({ shape: 'tiny', format: 'hf', dtype: 'f32', out: path.join(tmp, 'hf7'), seed: 7 });
  const g = loadModel(path.join(tmp, 'a.gguf'));
  const h = loadModel(path.join(tmp, 'hf7'));
  assert.equal(g.config.ropeStyle, 'interleaved');
  assert.deepEqual({ ...g.config, ropeStyle: 'neox' }, h.config);
  const q = 'model.layers.0.self_attn.q_proj.weight';
  assert.deepEqual(
    Buffer.from(g.tensors.get(q)!.data),
    Buffer.from(permuteRopeRows(h.tensors.get(q)!, 8, 'interleaved').data),
  );
  const up = 'model.layers.1.mlp.up_proj.weight';
  assert.deepEqual(Buffer.from(g.tensors.get(up)!.data), Buffer.from(h.tensors.get(up)!.data));
  for (const s of samples) assert.deepEqual(g.tokenizer.encode(s), h.tokenizer.encode(s), s);
  for (const s of samples) {
    const ids = h.tokenizer.encode(s);
    assert.equal(g.tokenizer.decode(ids), h.tokenizer.decode(ids), s);
  }
});

test('bf16 HF and q8_0 GGUF tiny models; q8_0 is refused for HF', () => {
  const bf = loadModel(
    makeModel({ shape: 'tiny', format: 'hf', dtype: 'bf16', out: path.join(tmp, 'bf'), seed: 1 }).path,
  );
  assert.equal(bf.tensors.get('model.layers.0.self_attn.o_proj.weight')!.dtype, 'bf16');
  const q8 = loadModel(
    makeModel({ shape: 'tiny', format: 'gguf', dtype: 'q8_0', out: path.join(tmp, 'q8'), seed: 1 }).path,
  );
  assert.equal(q8.tensors.get('model.layers.0.mlp.down_proj.weight')!.dtype, 'q8_0');
  assert.equal(q8.tensors.get('model.layers.0.input_layernorm.weight')!.dtype, 'f32');
  assert.ok(fs.statSync(path.join(tmp, 'q8', 'model.gguf')).size < 3_500_000);
  assert.throws(
    () => makeModel({ shape: 'tiny', format: 'hf', dtype: 'q8_0', out: path.join(tmp, 'bad') }),
    (e) => e instanceof ModelFormatError && e.problem === 'unsupported-dtype',
  );
});
