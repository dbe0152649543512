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

export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: Int32Array, classes: number) {
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

/** Largest |a − b| relative to the largest |b| of the tensor: for results computed two ways in f32. */
export function relativeToLargest(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

/** Largest |a − b| / max(|b|, floor): relative error that does not explode near zero. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  }
  return worst;
}

/**
 * The network in float64, written like reference 001's gradient_BP: forward, loss, and every
 * gradient. Returns the hidden pre-activations too, so tests can see how close ReLU kinks are.
 */
export function referenceNetwork(
  params: Record<string, ArrayLike<number>>, sizes: number[], activations: string[],
  x: Float32Array, labels: Int32Array,
) {
  const rows = labels.length;
  const layers = sizes.length - 1;
  const inputs: Float64Array[] = [Float64Array.from(x)];
  const outputs: Float64Array[] = [];
  const pre: Float64Array[] = [];
  for (let l = 0; l < layers; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    const W = params[`W${l + 1}`];
    const b = params[`b${l + 1}`];
    const z = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) {
      let s = b[j];
      for (let i = 0; i < n; i++) s += inputs[l][r * n + i] * W[i * m + j];
      z[r * m + j] = s;
    }
    pre.push(z);
    const h = l < layers - 1
      ? z.map((v) => (activations[l] === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : activations[l] === 'tanh' ? Math.tanh(v) : Math.max(0, v)))
      : z;
    outputs.push(h);
    inputs.push(h);
  }
  const classes = sizes[layers];
  const { probs, lossSum } = softmaxCrossEntropy(outputs[layers - 1], labels, classes);
  const loss = lossSum / rows;
  // Backward: delta = (y − t)/N, then dW = inputᵀ·delta, db = Σ delta, delta ← delta·Wᵀ ⊙ act'.
  const grads: Record<string, Float64Array> = {};
  let delta = probs.map((p, i) => (p - (labels[Math.floor(i / classes)] === i % classes ? 1 : 0)) / rows);
  for (let l = layers - 1; l >= 0; l--) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    const W = params[`W${l + 1}`];
    const dW = new Float64Array(n * m);
    const db = new Float64Array(m);
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) {
      db[j] += delta[r * m + j];
      for (let i = 0; i < n; i++) dW[i * m + j] += inputs[l][r * n + i] * delta[r * m + j];
    }
    grads[`W${l + 1}`] = dW;
    grads[`b${l + 1}`] = db;
    if (l > 0) {
      const previous = new Float64Array(rows * n);
      const h = outputs[l - 1];
      for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += delta[r * m + j] * W[i * m + j];
        const v = h[r * n + i];
        const kind = activations[l - 1];
        previous[r * n + i] = s * (kind === 'sigmoid' ? v * (1 - v) : kind === 'tanh' ? 1 - v * v : v > 0 ? 1 : 0);
      }
      delta = previous;
    }
  }
  return { loss, probs, grads, preActivations: pre.slice(0, layers - 1) };
}

const f32Bits = new Float32Array(1);
const i32Bits = new Int32Array(f32Bits.buffer);

/** The f32 next to x (a finite, nonzero f32) in the direction of `toward`. */
function adjacentF32(x: number, toward: number): number {
  f32Bits[0] = x;
  // Bit patterns grow with magnitude: one step up the pattern moves away from zero.
  i32Bits[0] += (toward > x) === (x > 0) ? 1 : -1;
  return f32Bits[0];
}

/**
 * a·b + c rounded once to f32: fused multiply-add, what relaxed SIMD's madd computes on a CPU with
 * FMA. a·b of two f32 is exact in f64 (48 significant bits); p + c is then rounded once to f64 and
 * again to f32, which differs from one rounding only when the f64 sum lands exactly halfway
 * between two f32s and its rounding error (TwoSum) says on which side the exact sum lies.
 */
export function fusedMultiplyAddF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bVirtual = s - p;
  const error = (p - (s - bVirtual)) + (c - bVirtual);
  if (error === 0 || r === 0) return r;
  const other = adjacentF32(r, s);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r; // not a tie: one rounding agrees
  const towardOther = (other > r) === (error > 0);
  return towardOther ? other : r;
}

/** a·b + c as the plain SIMD build computes it: product and sum each rounded to f32. */
export function multiplyThenAddF32(a: number, b: number, c: number): number {
  return Math.fround(Math.fround(a * b) + c);
}

/**
 * The GEMM every kernel variant must reproduce bit for bit: each element of C is the chain
 * acc ← madd(A(i,p), B(p,j), acc) over p = 0 … K−1, from 0 or (accumulating) from C.
 */
export function matmulChain(
  a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  layout: 'NN' | 'TN' | 'NT', madd: (a: number, b: number, acc: number) => number, c0?: Float32Array,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = c0 ? c0[i * n + j] : 0;
      for (let p = 0; p < k; p++) {
        const x = layout === 'TN' ? a[p * m + i] : a[i * k + p];
        const y = layout === 'NT' ? b[j * k + p] : b[p * n + j];
        acc = madd(x, y, acc);
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}
