import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { GgufMeta } from './gguf-metadata.js';
import { loadGgufModel, writeGgufModel } from './gguf-model.js';
import { readGgufHeader, readGgufTensors } from './gguf-reader.js';
import type { GgufMetadata } from './gguf-types.js';
import { writeGguf } from './gguf-writer.js';
import { loadHfModel } from './hf-loader.js';
import { writeHfModel } from './hf-writer.js';
import { loadLlama2cModel } from './llama2c-loader.js';
import { ModelFormatError } from './model-format-error.js';
import { TensorCodec } from './tensor-codec.js';
import { tensorEntries } from './tensor-entry.js';
import { TestFixtures } from './test-fixtures.js';

const tmp = TestFixtures.tempDir();
after(() => fs.rmSync(tmp, { recursive: true }));
const stories = loadLlama2cModel(TestFixtures.storiesModel(), TestFixtures.storiesTokenizer());
const golden = TestFixtures.golden();
const isProblem = (problem: string) => (e: unknown) => e instanceof ModelFormatError && e.problem === problem;

test('metadata of every value type and arrays round-trip through writeGguf/readGgufHeader', () => {
  const md: GgufMetadata = new Map([
    ['a.u8', { type: 'u8', value: 200 }],
    ['a.i8', { type: 'i8', value: -100 }],
    ['a.u16', { type: 'u16', value: 60000 }],
    ['a.i16', { type: 'i16', value: -30000 }],
    ['a.u32', { type: 'u32', value: 4e9 }],
    ['a.i32', { type: 'i32', value: -2e9 }],
    ['a.f32', { type: 'f32', value: 0.5 }],
    ['a.bool', { type: 'bool', value: true }],
    ['a.str', { type: 'string', value: 'héllo ▁' }],
    ['a.u64', { type: 'u64', value: 2n ** 60n }],
    ['a.i64', { type: 'i64', value: -(2n ** 60n) }],
    ['a.f64', { type: 'f64', value: Math.PI }],
    ['a.strs', GgufMeta.arr('string', ['x', '', 'yz'])],
    ['a.f32s', GgufMeta.arr('f32', [1.5, -2])],
    ['general.alignment', GgufMeta.u32(64)],
  ]);
  const file = path.join(tmp, 'meta.gguf');
  const t = stories.tensors.get('model.norm.weight')!;
  writeGguf(file, {
    metadata: md,
    tensors: tensorEntries(
      new Map([
        ['n', t],
        ['m', t],
      ]),
    ),
  });
  const h = readGgufHeader(file);
  assert.equal(h.version, 3);
  assert.deepEqual(h.metadata, md);
  assert.equal(h.alignment, 64);
  assert.equal(h.dataOffset % 64, 0);
  assert.deepEqual(
    h.tensorInfos.map((x) => x.offset),
    [0, 256],
  );
  assert.deepEqual(Buffer.from(readGgufTensors(file, h).get('m')!.data), Buffer.from(t.data));
});

test('llama2.c -> GGUF keeps interleaved q/k, config and tokenizer', () => {
  const file = path.join(tmp, 'stories.gguf');
  writeGgufModel(file, stories);
  const back = loadGgufModel(file);
  assert.deepEqual(back.config, stories.config);
  for (const [name, t] of stories.tensors) {
    assert.deepEqual(Buffer.from(back.tensors.get(name)!.data), Buffer.from(t.data), name);
  }
  for (const c of golden.cases) {
    assert.deepEqual(back.tokenizer.encode(c.prompt), c.prompt_token_ids);
    const opts = { skipUnprintableBytes: true };
    assert.equal(back.tokenizer.decode([...c.prompt_token_ids, ...c.greedy_token_ids], opts), c.text);
  }
  for (const s of ['héllo wörld 🦙', '  a\n\nb ', 'The cat</s>sat']) {
    assert.deepEqual(back.tokenizer.encode(s), stories.tokenizer.encode(s), s);
  }
  // GGUF v2 has the same layout as v3 (v3 only added big-endian files): patch the version and re-read.
  const v2 = path.join(tmp, 'stories-v2.gguf');
  const bytes = Buffer.from(fs.readFileSync(file));
  bytes.writeUInt32LE(2, 4);
  fs.writeFileSync(v2, bytes);
  assert.equal(readGgufHeader(v2).version, 2);
  assert.deepEqual(loadGgufModel(v2).config, stories.config);
});

test('HF (rotate-half) -> GGUF un-permutes q/k back to the llama2.c order', () => {
  const dir = path.join(tmp, 'hf');
  writeHfModel(dir, stories);
  const file = path.join(tmp, 'from-hf.gguf');
  writeGgufModel(file, loadHfModel(dir));
  const back = loadGgufModel(file);
  assert.equal(back.config.ropeStyle, 'interleaved');
  for (const name of ['model.layers.2.self_attn.q_proj.weight', 'model.layers.2.self_attn.k_proj.weight']) {
    assert.deepEqual(Buffer.from(back.tensors.get(name)!.data), Buffer.from(stories.tensors.get(name)!.data));
  }
  for (const c of golden.cases) assert.deepEqual(back.tokenizer.encode(c.prompt), c.prompt_token_ids);
});

test('q8_0 follows ggml: d = amax/127 as f16, q = round(x/d); rows not a multiple of 32 stay f32', () => {
  const x = Float32Array.from({ length: 32 }, (_, i) => (i - 10) / 7);
  const q = TensorCodec.fromF32(x, 'q8_0');
  const d = Math.fround(3 / 127); // amax = 21/7
  assert.equal(q.byteLength, 34);
  assert.ok(
    Math.abs(TensorCodec.toF32({ dtype: 'f16', shape: [1], data: q.subarray(0, 2) })[0] - d) < d / 1000,
  );
  assert.equal(new Int8Array(q.buffer, 2, 32)[31], 127);
  assert.equal(new Int8Array(q.buffer, 2, 32)[0], Math.round(-10 / 7 / d));
  const file = path.join(tmp, 'q8.gguf');
  writeGgufModel(file, stories, { dtype: 'q8_0' });
  const back = loadGgufModel(file);
  assert.equal(back.tensors.get('model.layers.0.self_attn.q_proj.weight')!.dtype, 'q8_0');
  assert.equal(back.tensors.get('model.layers.0.mlp.down_proj.weight')!.dtype, 'f32');
  assert.equal(back.tensors.get('model.norm.weight')!.dtype, 'f32');
  const w = TensorCodec.toF32(stories.tensors.get('model.layers.0.mlp.up_proj.weight')!);
  const wq = TensorCodec.toF32(back.tensors.get('model.layers.0.mlp.up_proj.weight')!);
  const amax = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(w[i] - wq[i]) <= amax / 127);
});

function writeRaw(file: string, parts: Buffer[]): void {
  fs.writeFileSync(file, Buffer.concat(parts));
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

test('GGUF errors: bad magic, version, truncated, header too large, unknown architecture, dtype, missing tensor', () => {
  const good = path.join(tmp, 'stories.gguf');
  const bad = path.join(tmp, 'bad.gguf');
  writeRaw(bad, [Buffer.from('GGML'), u32(3), u64(0), u64(0)]);
  assert.throws(() => readGgufHeader(bad), isProblem('bad-magic'));
  writeRaw(bad, [Buffer.from('GGUF'), u32(1), u64(0), u64(0)]);
  assert.throws(() => readGgufHeader(bad), isProblem('unsupported-version'));
  fs.writeFileSync(bad, fs.readFileSync(good).subarray(0, 5000));
  assert.throws(() => readGgufHeader(bad), isProblem('truncated'));
  fs.writeFileSync(bad, fs.readFileSync(good).subarray(0, 900_000));
  assert.throws(() => loadGgufModel(bad), isProblem('truncated'));
  // A key whose length claims 600 MB in a sparse 700 MB file.
  writeRaw(bad, [Buffer.from('GGUF'), u32(3), u64(0), u64(1), u64(600 << 20)]);
  fs.truncateSync(bad, 700 << 20);
  assert.throws(() => readGgufHeader(bad), isProblem('header-too-large'));
  const t = { n: stories.tensors.get('model.norm.weight')! };
  const arch = (name: string) => new Map([['general.architecture', GgufMeta.str(name)]]) as GgufMetadata;
  writeGguf(bad, { metadata: arch('gpt2'), tensors: tensorEntries(new Map(Object.entries(t))) });
  assert.throws(() => loadGgufModel(bad), isProblem('unknown-architecture'));
  writeRaw(bad, [
    Buffer.from('GGUF'),
    u32(3),
    u64(1),
    u64(0),
    u64(1),
    Buffer.from('x'),
    u32(1),
    u64(32),
    u32(2),
    u64(0),
  ]);
  fs.appendFileSync(bad, Buffer.alloc(64));
  assert.throws(() => readGgufTensors(bad, readGgufHeader(bad)), isProblem('unsupported-dtype'));
  const h = readGgufHeader(good);
  const metadata = h.metadata;
  const tensors = readGgufTensors(good, h);
  tensors.delete('blk.1.ffn_up.weight');
  writeGguf(bad, { metadata, tensors: tensorEntries(tensors) });
  assert.throws(
    () => loadGgufModel(bad),
    (e) => isProblem('missing-tensor')(e) && /layers\.1\.mlp\.up_proj/.test(String(e)),
  );
});
