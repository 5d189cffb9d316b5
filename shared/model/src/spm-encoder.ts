/** The vocabulary view the encoder needs: piece strings (spaces as ' '), their ids and scores. */
export interface SpmEncoderVocab {
  pieceToId: ReadonlyMap<string, number>;
  pieces: readonly string[];
  scores: ArrayLike<number>;
  /** Id of the `<0xNN>` piece for each byte value, or -1. */
  byteIds: Int32Array;
  unkTokenId: number;
}

interface Candidate {
  score: number;
  pos: number;
  left: number;
  right: number;
  leftVersion: number;
  rightVersion: number;
  id: number;
}

/** Better candidate first: higher score, then the leftmost pair (llama2.c scans left to right with `>`). */
function better(a: Candidate, b: Candidate): boolean {
  return a.score > b.score || (a.score === b.score && a.pos < b.pos);
}

class CandidateHeap {
  private items: Candidate[] = [];

  get size(): number {
    return this.items.length;
  }

  push(c: Candidate): void {
    const items = this.items;
    items.push(c);
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!better(items[i], items[p])) break;
      [items[i], items[p]] = [items[p], items[i]];
      i = p;
    }
  }

  pop(): Candidate {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && better(items[l], items[best])) best = l;
      if (r < items.length && better(items[r], items[best])) best = r;
      if (best === i) return top;
      [items[i], items[best]] = [items[best], items[i]];
      i = best;
    }
  }
}

/** Splits text into code points, each one a piece id or its UTF-8 bytes as `<0xNN>` pieces. */
function initialSymbols(vocab: SpmEncoderVocab, text: string): { ids: number[]; strs: string[] } {
  const ids: number[] = [];
  const strs: string[] = [];
  const encoder = new TextEncoder();
  for (const ch of text) {
    const id = vocab.pieceToId.get(ch);
    if (id !== undefined) {
      ids.push(id);
      strs.push(ch);
      continue;
    }
    for (const byte of encoder.encode(ch)) {
      const byteId = vocab.byteIds[byte];
      const fallback = byteId >= 0 ? byteId : vocab.unkTokenId;
      ids.push(fallback);
      strs.push(vocab.pieces[fallback]);
    }
  }
  return { ids, strs };
}

/**
 * Encodes one text segment as llama2.c's encode() does after its dummy prefix: code points to pieces
 * (else byte fallback), then repeatedly merge the adjacent pair whose concatenation is a piece with the
 * highest score, leftmost first on ties. A heap with lazy invalidation makes it O(n log n) instead of
 * llama2.c's O(n^2); the merge order, and so the result, is the same.
 */
export function spmEncode(vocab: SpmEncoderVocab, text: string): number[] {
  const { ids, strs } = initialSymbols(vocab, text);
  const n = ids.length;
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const version = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  const heap = new CandidateHeap();
  const consider = (left: number, right: number): void => {
    if (left < 0 || right < 0) return;
    const id = vocab.pieceToId.get(strs[left] + strs[right]);
    if (id === undefined) return;
    heap.push({
      score: vocab.scores[id],
      pos: left,
      left,
      right,
      leftVersion: version[left],
      rightVersion: version[right],
      id,
    });
  };
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
  while (heap.size > 0) {
    const c = heap.pop();
    const { left, right } = c;
    if (!alive[left] || !alive[right] || next[left] !== right) continue;
    if (version[left] !== c.leftVersion || version[right] !== c.rightVersion) continue;
    strs[left] += strs[right];
    ids[left] = c.id;
    version[left]++;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    consider(prev[left], left);
    consider(left, next[left]);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (alive[i]) out.push(ids[i]);
  return out;
}
