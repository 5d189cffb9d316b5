/**
 * Partial selection over token ids ordered by (value descending, id ascending): a total order, so
 * the selected set is the same whatever the input order, which keeps seeded sampling reproducible.
 */

function better(values: Float32Array, a: number, b: number): boolean {
  const va = values[a];
  const vb = values[b];
  return va > vb || (va === vb && a < b);
}

function medianOfThree(values: Float32Array, a: number, b: number, c: number): number {
  if (better(values, a, b)) {
    if (better(values, b, c)) return b;
    return better(values, a, c) ? c : a;
  }
  if (better(values, a, c)) return a;
  return better(values, b, c) ? c : b;
}

/** Up to this k, selection keeps a k-element heap in one pass; above it, quickselect. */
const HEAP_SELECT_MAX_K = 256;

/**
 * Reorders ids[0, n), keeping them a permutation, so that ids[0, k) are the k best (in no
 * particular order). Small k: one pass against a k-element min-heap (most tokens cost one
 * comparison); large k: quickselect. O(n) expected either way, no sort of the vocabulary.
 */
export function selectTopK(values: Float32Array, ids: Int32Array, n: number, k: number): void {
  if (k <= 0 || k >= n) return;
  if (k <= HEAP_SELECT_MAX_K) heapSelect(values, ids, n, k);
  else quickSelect(values, ids, n, k);
}

function heapSelect(values: Float32Array, ids: Int32Array, n: number, k: number): void {
  const heap = ids.slice(0, k);
  // Min-heap on `better`: the root is the worst kept token.
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDownWorst(values, heap, i, k);
  for (let i = k; i < n; i++) {
    const id = ids[i];
    if (better(values, id, heap[0])) {
      // The evicted token takes the newcomer's place, so ids[0, n) stays a permutation.
      ids[i] = heap[0];
      heap[0] = id;
      siftDownWorst(values, heap, 0, k);
    }
  }
  ids.set(heap, 0);
}

function siftDownWorst(values: Float32Array, heap: Int32Array, i: number, k: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < k && better(values, heap[worst], heap[l])) worst = l;
    if (r < k && better(values, heap[worst], heap[r])) worst = r;
    if (worst === i) return;
    const t = heap[i];
    heap[i] = heap[worst];
    heap[worst] = t;
    i = worst;
  }
}

function quickSelect(values: Float32Array, ids: Int32Array, n: number, k: number): void {
  const target = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = medianOfThree(values, ids[lo], ids[(lo + hi) >> 1], ids[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (better(values, ids[i], pivot)) i++;
      while (better(values, pivot, ids[j])) j--;
      if (i <= j) {
        const t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}

/**
 * Reorders ids[0, n) so that ids[0, m) are the best tokens whose weights (indexed by token id)
 * sum to at least `target`, with m minimal, and returns m: top-p's nucleus by a weighted
 * quickselect, O(n) expected instead of a sort.
 */
export function selectNucleus(
  values: Float32Array,
  weights: Float64Array,
  ids: Int32Array,
  n: number,
  target: number,
): number {
  // Peaked distributions: the nucleus is usually among the best few, found with one heap pass.
  const window = Math.min(n, NUCLEUS_WINDOW);
  selectTopK(values, ids, n, window);
  sortByValue(values, ids, window);
  let cum = 0;
  for (let i = 0; i < window; i++) {
    cum += weights[ids[i]];
    if (cum >= target) return i + 1;
  }
  return weightedQuickSelect(values, weights, ids, n, target);
}

/** Tried first by selectNucleus before the weighted quickselect over all candidates. */
const NUCLEUS_WINDOW = 64;

function weightedQuickSelect(
  values: Float32Array,
  weights: Float64Array,
  ids: Int32Array,
  n: number,
  target: number,
): number {
  let lo = 0;
  let hi = n - 1;
  let need = target;
  while (lo < hi) {
    const pivot = medianOfThree(values, ids[lo], ids[(lo + hi) >> 1], ids[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (better(values, ids[i], pivot)) i++;
      while (better(values, pivot, ids[j])) j--;
      if (i <= j) {
        const t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] rank above [i, hi]; anything between them is the pivot itself.
    let upper = 0;
    for (let k = lo; k <= j; k++) upper += weights[ids[k]];
    if (upper >= need) {
      hi = j;
      continue;
    }
    need -= upper;
    for (let k = j + 1; k < i; k++) {
      need -= weights[ids[k]];
      if (need <= 0) return k + 1;
    }
    lo = i;
  }
  return Math.min(n, lo + 1);
}

/** Sorts ids[0, n) best first. */
export function sortByValue(values: Float32Array, ids: Int32Array, n: number): void {
  ids.subarray(0, n).sort((a, b) => values[b] - values[a] || a - b);
}

/** Index of the first maximum (argmax semantics); 0 for an all -Infinity row. */
export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = values[0];
  for (let i = 1; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}
