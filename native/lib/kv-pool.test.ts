import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { KvPool, type KvPoolLayout } from './kv-pool.js';

const layout: KvPoolLayout = {
  numBlocks: 5,
  blockSize: 16,
  layers: 3,
  kvHeads: 2,
  headDim: 8,
  dtype: 'bf16',
};
const shmPath = (name: string) => `/dev/shm${name}`;

test('a new pool is zero-filled shared memory of the documented size', () => {
  const pool = new KvPool(layout);
  try {
    assert.match(pool.name, new RegExp(`^/pdserve-kv-${process.pid}-\\d+$`));
    assert.equal(pool.blockBytes, 16 * 3 * 2 * 2 * 8 * 2);
    assert.equal(pool.bytes, 5 * pool.blockBytes);
    const bytes = new Uint8Array(pool.buffer());
    assert.equal(bytes.length, pool.bytes);
    assert.ok(bytes.every((b) => b === 0));
    assert.equal(pool.buffer(), pool.buffer(), 'buffer() returns one ArrayBuffer');
    if (process.platform === 'linux') assert.ok(existsSync(shmPath(pool.name)));
  } finally {
    pool.close();
  }
});

test('open(name) maps the same memory; close unlinks the name and detaches the buffer', () => {
  const a = new KvPool({ ...layout, name: `/pdserve-kv-test-${process.pid}` });
  const b = KvPool.open(a.name, layout);
  try {
    new Uint8Array(a.buffer())[123] = 7;
    assert.equal(new Uint8Array(b.buffer())[123], 7);
    new Uint8Array(b.buffer())[a.bytes - 1] = 9;
    assert.equal(new Uint8Array(a.buffer())[a.bytes - 1], 9);
    const view = a.buffer();
    a.close();
    a.close();
    assert.equal(a.closed, true);
    assert.equal(view.byteLength, 0, 'the old buffer is detached');
    assert.throws(() => a.buffer(), /closed/);
    assert.equal(existsSync(shmPath(a.name)), false, 'the creator unlinked the name');
    assert.equal(new Uint8Array(b.buffer())[123], 7, 'an opened mapping outlives the creator');
    assert.throws(() => KvPool.open(a.name, layout), /shm_open/);
  } finally {
    a.close();
    b.close();
  }
});

test('another process writes through open(name) and this one sees it', () => {
  const pool = new KvPool(layout);
  try {
    const url = new URL('./kv-pool.js', import.meta.url).href;
    const script = `import('${url}').then(({ KvPool }) => {
      const p = KvPool.open(${JSON.stringify(pool.name)}, ${JSON.stringify(layout)});
      new Uint8Array(p.buffer()).fill(0xab, ${pool.blockBytes}, ${2 * pool.blockBytes});
      p.close();
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const bytes = new Uint8Array(pool.buffer());
    assert.equal(bytes[pool.blockBytes - 1], 0);
    assert.equal(bytes[pool.blockBytes], 0xab);
    assert.equal(bytes[2 * pool.blockBytes - 1], 0xab);
    assert.equal(bytes[2 * pool.blockBytes], 0);
    assert.ok(existsSync(shmPath(pool.name)), 'the opener did not unlink the name');
  } finally {
    pool.close();
  }
});

test('bad layouts, names and mismatched sizes throw', () => {
  assert.throws(() => new KvPool({ ...layout, numBlocks: 0 }), RangeError);
  assert.throws(() => new KvPool({ ...layout, headDim: 1.5 }), RangeError);
  assert.throws(() => new KvPool({ ...layout, dtype: 'f16' as 'f32' }), TypeError);
  assert.throws(() => new KvPool({ ...layout, name: 'no-slash' }), RangeError);
  assert.throws(() => new KvPool({ ...layout, name: '/a/b' }), RangeError);
  const pool = new KvPool(layout);
  try {
    assert.throws(() => new KvPool({ ...layout, name: pool.name }), /exists/);
    assert.throws(() => KvPool.open(pool.name, { ...layout, numBlocks: 6 }), /bytes/);
    assert.throws(() => KvPool.open(pool.name, { ...layout, dtype: 'f32' }), /bytes/);
  } finally {
    pool.close();
  }
});

test('creating a pool unlinks default-named pools whose creator is dead', () => {
  // A child creates a pool and dies by SIGKILL, so it cannot unlink the name itself.
  const script = `import { KvPool } from ${JSON.stringify(new URL('./kv-pool.js', import.meta.url).href)};
    const p = new KvPool({ numBlocks: 2, blockSize: 16, layers: 1, kvHeads: 1, headDim: 8, dtype: 'f32' });
    console.log(p.name); process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const leaked = child.stdout.trim();
  assert.match(leaked, /^\/pdserve-kv-\d+-0$/);
  assert.ok(existsSync(`/dev/shm${leaked}`), 'the killed child left its pool behind');
  const pool = new KvPool({ numBlocks: 1, blockSize: 16, layers: 1, kvHeads: 1, headDim: 8, dtype: 'f32' });
  try {
    assert.ok(!existsSync(`/dev/shm${leaked}`), 'the next pool created on the host removed it');
    assert.ok(existsSync(`/dev/shm${pool.name}`), 'a live pool is kept');
  } finally {
    pool.close();
  }
});
