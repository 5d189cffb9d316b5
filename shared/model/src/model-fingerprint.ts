import { createHash } from 'node:crypto';
import type { LoadedModel } from './types.js';

const SAMPLE = 64;
/** Encoded as part of the fingerprint: behaviour, not the files' spelling of special pieces, counts. */
const PROBE = 'The quick brown fox, 1234 naïve café 🦙\n\t<s></s>x';

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => `${JSON.stringify(k)}:${sortedJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * sha256 (hex) over the config, every tensor's name, dtype and shape, 64 bytes from the start, middle
 * and end of each tensor, and the tokenizer's size, specials, one probe text's ids and the decoding of a spread of ids. Cheap (no full
 * pass over the weights); prefill and decode instances compare it in their KV handshake. The same
 * weights in another dtype or RoPE order give another fingerprint, on purpose.
 */
export function modelFingerprint(model: Pick<LoadedModel, 'config' | 'tensors' | 'tokenizer'>): string {
  const h = createHash('sha256');
  h.update(sortedJson(model.config));
  for (const name of [...model.tensors.keys()].sort()) {
    const t = model.tensors.get(name)!;
    h.update(`\n${name}:${t.dtype}:${t.shape.join('x')}:`);
    const n = t.data.byteLength;
    const mid = Math.max(0, Math.floor(n / 2) - SAMPLE / 2);
    for (const start of [0, mid, Math.max(0, n - SAMPLE)]) h.update(t.data.subarray(start, start + SAMPLE));
  }
  const tok = model.tokenizer;
  h.update(`\ntokenizer:${tok.vocabSize}:${tok.bosTokenId}:${tok.eosTokenIds.join(',')}`);
  h.update(`\n${tok.encode(PROBE).join(',')}\n`);
  const step = Math.max(1, Math.floor(tok.vocabSize / 256));
  for (let id = 0; id < tok.vocabSize; id += step) h.update(`${id}=${tok.decode([id])}\u0000`);
  return h.digest('hex');
}
