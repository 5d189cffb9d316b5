import { readFileRegions, withFile } from './file-regions.js';
import { ModelFormatError } from './model-format-error.js';
import { SpmTokenizer } from './spm-tokenizer.js';

/** llama2.c's fixed special ids. */
export const LLAMA2C_BOS = 1;
export const LLAMA2C_EOS = 2;

/**
 * Reads a llama2.c tokenizer .bin (int32 max_token_length, then per token: float32 score, int32 length,
 * bytes). Reads `vocabSize` tokens when given (as llama2.c does), else up to the end of the file.
 */
export function readLlama2cTokenizer(path: string, vocabSize?: number): SpmTokenizer {
  const size = withFile(path, (_fd, s) => s);
  const [bytes] = readFileRegions(path, [{ offset: 0, length: size }]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new ModelFormatError(path, 'truncated', 'no max_token_length header');
  const maxLen = view.getInt32(0, true);
  if (maxLen <= 0 || maxLen > 1 << 16) {
    throw new ModelFormatError(path, 'bad-magic', `not a llama2.c tokenizer (max_token_length ${maxLen})`);
  }
  const pieces: string[] = [];
  const pieceBytes: Uint8Array[] = [];
  const scores: number[] = [];
  const decoder = new TextDecoder();
  let o = 4;
  while (vocabSize === undefined ? o < bytes.byteLength : pieces.length < vocabSize) {
    if (o + 8 > bytes.byteLength) {
      throw new ModelFormatError(path, 'truncated', `token ${pieces.length} header past the end of the file`);
    }
    const score = view.getFloat32(o, true);
    const len = view.getInt32(o + 4, true);
    if (len < 0 || len > maxLen || o + 8 + len > bytes.byteLength) {
      throw new ModelFormatError(
        path,
        'truncated',
        `token ${pieces.length} (length ${len}) past the end of the file`,
      );
    }
    const piece = bytes.subarray(o + 8, o + 8 + len);
    pieceBytes.push(piece);
    pieces.push(decoder.decode(piece));
    scores.push(score);
    o += 8 + len;
  }
  return new SpmTokenizer({
    pieces,
    pieceBytes,
    scores,
    bosTokenId: LLAMA2C_BOS,
    eosTokenIds: [LLAMA2C_EOS],
    unkTokenId: 0,
  });
}
