// Plain TypeScript references for every kernel, written the obvious way in float64 so that the
// only difference from wasm is f32 rounding.

export function matmul(
  a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  layout: 'NN' | 'TN' | 'NT',
): Float64Array {
  const c = new Float64Array(m * n);
  const A = (i: number, p: number) => (layout === 'TN' ? a[p * m + i] : a[i * k + p]);
  const B = (p: number, j: number) => (layout === 'NT' ? b[j * k + p] : b[p * n + j]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += A(i, p) * B(p, j);
      c[i * n + j] = sum;
    }
  }
  return c;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, classes: number) {
  const rows = labels.length;
  const probs = new Float64Array(logits.length);
  let lossSum = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
    for (let c = 0; c < classes; c++) probs[r * classes + c] = Math.exp(logits[r * classes + c] - max) / sum;
    lossSum += Math.log(sum) - (logits[r * classes + labels[r]] - max);
  }
  return { probs, lossSum };
}

/** Deterministic pseudo-random data for tests (not the library's generator). */
export function randomArray(length: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function randomLabels(rows: number, classes: number, seed: number): Int32Array {
  const u = randomArray(rows, seed);
  return Int32Array.from(u, (v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}

/** Largest |a − b| / max(|b|, floor): relative error that does not explode near zero. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  }
  return worst;
}
