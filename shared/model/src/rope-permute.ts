import type { RopeStyle, TensorData } from './types.js';

/**
 * Reorders the rows of a q_proj/k_proj weight (or bias) between RoPE pairings. Within each head of
 * `headDim` rows, interleaved order pairs rows (2i, 2i+1); neox (HF rotate-half) pairs (i, i+half).
 * HF's Llama conversion maps interleaved row 2i+j to neox row j*half+i; `to: 'interleaved'` undoes it
 * (as llama.cpp's HF->GGUF conversion does). Rows are moved as whole byte ranges, so any dtype works.
 */
export function permuteRopeRows(t: TensorData, nHeads: number, to: RopeStyle): TensorData {
  const rows = t.shape[0];
  const headDim = rows / nHeads;
  const half = headDim / 2;
  const rowBytes = t.data.byteLength / rows;
  const out = new Uint8Array(t.data.byteLength);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const inter = h * headDim + 2 * i + j;
        const neox = h * headDim + j * half + i;
        const [src, dst] = to === 'neox' ? [inter, neox] : [neox, inter];
        out.set(t.data.subarray(src * rowBytes, (src + 1) * rowBytes), dst * rowBytes);
      }
    }
  }
  return { dtype: t.dtype, shape: t.shape, data: out };
}

/** Whether a tensor name is one whose rows follow the RoPE pairing (q/k weights and biases). */
export function isRopeRowTensor(name: string): 'q' | 'k' | undefined {
  if (/\.self_attn\.q_proj\.(weight|bias)$/.test(name)) return 'q';
  if (/\.self_attn\.k_proj\.(weight|bias)$/.test(name)) return 'k';
  return undefined;
}
