import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressedRows } from '../src/compressed-rows.js';
import { loadMnist } from '../src/data/mnist-node.js';
import { ValueError } from '../src/errors.js';
import { chooseFirstLayerPath, SPARSE_CROSSOVER_DENSITY } from '../src/sparse-choice.js';
import type { Runtime } from '../src/runtime.js';
import { matmul, randomArray } from './support/reference.js';
import { put, testRuntime } from './support/runtime.js';

// The sparse first-layer kernels must reproduce the dense gemmNN / gemmTN bit for bit, on every
// build: the comparisons are of the Uint32 bit patterns, so a −0 for a +0 fails.

const DIMS = [1, 3, 17, 100, 784];
const SHAPES: [number, number, number][] = [];
for (const m of DIMS) for (const n of DIMS) for (const k of DIMS) if (m * n * k <= 100 * 100 * 784) SHAPES.push([m, n, k]);
// Widths that take the other column blocks: 36 and 68 (a lone vector joins the first block), 50 and
// 51 (16 columns and a partial vector in one walk), 19 (3 partial lanes).
SHAPES.push([100, 50, 784], [17, 51, 100], [3, 19, 17], [5, 36, 3], [7, 68, 9]);
const DENSITIES = [0, 0.02, 0.19, 0.5, 1];
const UNIT_ROUNDOFF = 2 ** -24;

/** Values in [−1, 1) with about `density` of them kept, the rest +0; every 5th row all zero. */
function sparseMatrix(rows: number, cols: number, density: number, seed: number): Float32Array {
  const values = randomArray(rows * cols, seed);
  const keep = randomArray(rows * cols, seed + 1);
  return values.map((v, i) => (Math.floor(i / cols) % 5 === 4 || (keep[i] + 1) / 2 >= density ? 0 : v));
}

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function expectSameBits(got: Float32Array, want: Float32Array, what: string) {
  expect(got.length).toBe(want.length);
  const g = bits(got), w = bits(want);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) expect.fail(`${what}: element ${i} is ${got[i]} (0x${g[i].toString(16)}), dense ${want[i]} (0x${w[i].toString(16)})`);
  }
}

// Float64 reference within the f32 dot-product error bound (as in gemm.test.ts).
function expectNearReference(
  overwrite: Float32Array, accumulated: Float32Array, c0: Float32Array,
  a: Float32Array, b: Float32Array, m: number, n: number, k: number, layout: 'NN' | 'TN',
) {
  const want = matmul(a, b, m, n, k, layout);
  const bound = matmul(a.map(Math.abs), b.map(Math.abs), m, n, k, layout);
  expectWithin(overwrite, want, bound, k);
  expectWithin(accumulated, want.map((v, i) => v + c0[i]), bound.map((v, i) => v + Math.abs(c0[i])), k);
}

function expectWithin(got: Float32Array, want: Float64Array, bound: Float64Array, k: number) {
  for (let i = 0; i < want.length; i++) {
    const tolerance = (2 * k + 2) * UNIT_ROUNDOFF * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tolerance)) expect.fail(`element ${i} is ${got[i]}, reference ${want[i]} (tolerance ${tolerance})`);
  }
}

class Kernels {
  constructor(readonly runtime: Runtime) {}
  get ex() {
    return this.runtime.kernels.exports;
  }
  read(at: number, length: number): Float32Array {
    return new Float32Array(this.runtime.arena.memory.buffer, at, length).slice();
  }
  write(at: number, values: Float32Array) {
    new Float32Array(this.runtime.arena.memory.buffer, at, values.length).set(values);
  }
  /** Runs `body` with blocks for each array (copied in), releasing them afterwards. */
  with<T>(arrays: (Float32Array | Int32Array | number)[], body: (...at: number[]) => T): T {
    const offsets = arrays.map((a) => (typeof a === 'number' ? this.runtime.arena.alloc(a) : put(this.runtime, a)));
    try {
      return body(...offsets);
    } finally {
      offsets.forEach((at) => this.runtime.arena.release(at));
    }
  }
  compress(xAt: number, rows: number, cols: number) {
    return new CompressedRows(this.runtime, xAt, rows, cols);
  }

  /** Dense gemmNN and the sparse forward (contiguous rows), overwrite then accumulate. */
  forward(x: Float32Array, w: Float32Array, m: number, n: number, k: number, c0: Float32Array) {
    return this.with([x, w, m * n * 4, m * n * 4], (xAt, wAt, denseAt, sparseAt) => {
      const csr = this.compress(xAt, m, k);
      const out: Record<string, Float32Array> = {};
      for (const accumulate of [false, true]) {
        this.write(denseAt, c0);
        this.write(sparseAt, c0);
        this.ex.gemmNN(denseAt, xAt, wAt, m, n, k, accumulate);
        this.ex.csrGemmNN(sparseAt, csr.offset, 0, m, wAt, n, accumulate);
        out[`dense${accumulate ? 'Acc' : ''}`] = this.read(denseAt, m * n);
        out[`sparse${accumulate ? 'Acc' : ''}`] = this.read(sparseAt, m * n);
      }
      csr.dispose();
      return out;
    });
  }

  /** Dense gemmTN and the sparse weight gradient, dW[k×n] = xᵀ·dz with x [m×k]. */
  weightGradient(x: Float32Array, dz: Float32Array, m: number, n: number, k: number, dw0: Float32Array) {
    const scratchBytes = this.ex.csrGemmTNScratchBytes(k, m);
    return this.with([x, dz, k * n * 4, k * n * 4, scratchBytes], (xAt, dzAt, denseAt, sparseAt, scratchAt) => {
      const csr = this.compress(xAt, m, k);
      const out: Record<string, Float32Array> = {};
      for (const accumulate of [false, true]) {
        this.write(denseAt, dw0);
        this.write(sparseAt, dw0);
        this.ex.gemmTN(denseAt, xAt, dzAt, k, n, m, accumulate);
        this.ex.csrGemmTN(sparseAt, csr.offset, 0, m, dzAt, n, accumulate, scratchAt);
        out[`dense${accumulate ? 'Acc' : ''}`] = this.read(denseAt, k * n);
        out[`sparse${accumulate ? 'Acc' : ''}`] = this.read(sparseAt, k * n);
      }
      csr.dispose();
      return out;
    });
  }
}

let kernels: Kernels;
beforeAll(async () => {
  kernels = new Kernels(await testRuntime());
});
afterAll(() => {
  expect(kernels.runtime.arena.allocatedBytes).toBe(0);
});

describe('csrCompress', () => {
  it('stores every entry that is not +0, −0 and NaN included, and sizes the block first', () => {
    const x = Float32Array.from([0, -0, 1, 0, 0, 0, 0, 0, NaN, 2, 3, 4, 5, 0, -7]);
    kernels.with([x], (xAt) => {
      const csr = kernels.compress(xAt, 3, 5);
      expect(csr.nonzeros).toBe(8);
      expect(csr.density).toBeCloseTo(8 / 15, 12);
      // header, starts, then columns and values with room for 3 more, each 16-aligned:
      // 16 + 16 + 48 + 48.
      expect(csr.bytes).toBe(128);
      csr.dispose();
    });
  });

  it('counts the nonzeros of gathered rows', () => {
    const x = sparseMatrix(40, 33, 0.3, 5);
    const indices = Int32Array.from([39, 0, 7, 7, 12]);
    kernels.with([x, indices], (xAt, indicesAt) => {
      const csr = kernels.compress(xAt, 40, 33);
      let want = 0;
      for (const r of indices) for (let c = 0; c < 33; c++) if (x[r * 33 + c] !== 0) want++;
      expect(kernels.ex.csrGatheredNonzeros(csr.offset, indicesAt, indices.length)).toBe(want);
      expect(csr.gatheredDensity(indicesAt, indices.length)).toBeCloseTo(want / (5 * 33), 12);
      csr.dispose();
    });
  });

  it('rejects a shape that is not a positive integer', () => {
    expect(() => kernels.compress(0, 0, 5)).toThrow(/rows must be a positive integer, got 0/);
    expect(() => kernels.compress(0, 3, 2.5)).toThrow(/cols must be a positive integer, got 2.5/);
  });
});

describe.each(SHAPES)('sparse products M=%i N=%i K=%i', (m, n, k) => {
  it.each(DENSITIES)('density %f: forward equals gemmNN bit for bit and the reference', (density) => {
    const x = sparseMatrix(m, k, density, m * 31 + k);
    const w = randomArray(k * n, n * 7 + k);
    const c0 = randomArray(m * n, m + n);
    const out = kernels.forward(x, w, m, n, k, c0);
    expectSameBits(out.sparse, out.dense, 'overwrite');
    expectSameBits(out.sparseAcc, out.denseAcc, 'accumulate');
    expectNearReference(out.sparse, out.sparseAcc, c0, x, w, m, n, k, 'NN');
  });

  it.each(DENSITIES)('density %f: weight gradient equals gemmTN bit for bit, untouched rows +0', (density) => {
    const x = sparseMatrix(m, k, density, m * 17 + k);
    const dz = randomArray(m * n, n * 3 + m);
    const dw0 = randomArray(k * n, k + n); // garbage that overwrite must ignore
    const out = kernels.weightGradient(x, dz, m, n, k, dw0);
    expectSameBits(out.sparse, out.dense, 'overwrite');
    expectSameBits(out.sparseAcc, out.denseAcc, 'accumulate');
    expectNearReference(out.sparse, out.sparseAcc, dw0, x, dz, k, n, m, 'TN');
    let untouched = 0, notPlusZero = 0;
    const got = bits(out.sparse);
    for (let p = 0; p < k; p++) {
      let touched = false;
      for (let r = 0; r < m; r++) touched ||= x[r * k + p] !== 0;
      if (touched) continue;
      untouched++;
      for (let j = 0; j < n; j++) if (got[p * n + j] !== 0) notPlusZero++;
    }
    expect(notPlusZero).toBe(0);
    if (density === 0) expect(untouched).toBe(k);
  });
});

describe('gathered rows of a dataset compressed once', () => {
  // Rows in any order, repeated, from anywhere in the dataset: the same bits as the dense
  // kernels on the gathered dense batch.
  it.each([[1, 100, 0.19], [17, 3, 0.5], [100, 100, 0.02], [100, 50, 1], [64, 17, 0.19]])(
    'M=%i N=%i density %f', (m, n, density) => {
      const rows = 300, k = 784;
      const dataset = sparseMatrix(rows, k, density, 11);
      const indices = Int32Array.from({ length: m }, (_, r) => (r * 7919 + 13) % rows);
      indices[m - 1] = indices[0];
      const batch = new Float32Array(m * k);
      indices.forEach((row, r) => batch.set(dataset.subarray(row * k, (row + 1) * k), r * k));
      const w = randomArray(k * n, 3);
      const dz = randomArray(m * n, 4);
      const scratchBytes = kernels.ex.csrGemmTNScratchBytes(k, m);
      kernels.with([dataset, indices, batch, w, dz, m * n * 4, m * n * 4, k * n * 4, k * n * 4, scratchBytes],
        (dataAt, indicesAt, batchAt, wAt, dzAt, cDense, cSparse, dwDense, dwSparse, scratchAt) => {
          const csr = kernels.compress(dataAt, rows, k);
          for (const accumulate of [false, true]) {
            kernels.ex.gemmNN(cDense, batchAt, wAt, m, n, k, accumulate);
            kernels.ex.csrGemmNNGathered(cSparse, csr.offset, indicesAt, m, wAt, n, accumulate);
            expectSameBits(kernels.read(cSparse, m * n), kernels.read(cDense, m * n), `forward, accumulate ${accumulate}`);
            kernels.ex.gemmTN(dwDense, batchAt, dzAt, k, n, m, accumulate);
            kernels.ex.csrGemmTNGathered(dwSparse, csr.offset, indicesAt, m, dzAt, n, accumulate, scratchAt);
            expectSameBits(kernels.read(dwSparse, k * n), kernels.read(dwDense, k * n), `weight gradient, accumulate ${accumulate}`);
          }
          // A contiguous range of rows starting past the first.
          kernels.ex.gemmNN(cDense, dataAt + 5 * k * 4, wAt, m, n, k, false);
          kernels.ex.csrGemmNN(cSparse, csr.offset, 5, m, wAt, n, false);
          expectSameBits(kernels.read(cSparse, m * n), kernels.read(cDense, m * n), 'forward, rows from 5');
          csr.dispose();
        });
    });
});

describe('plain SGD on the rows a batch touches', () => {
  // csrSgdUpdateTouchedRows trusts the columns block: rows it says no input touches are left
  // alone whatever their gradient holds (here a marker, not the +0 the weight gradient writes).
  const m = 4, k = 9, n = 6;
  const x = sparseMatrix(m, k, 0.3, 31);
  for (let r = 0; r < m; r++) x[r * k + 2] = x[r * k + 7] = 0; // columns 2 and 7 untouched
  x[0] = 1; // column 0 touched

  function update(lr: number) {
    const w = randomArray(k * n, 32);
    w[2 * n] = -0;
    const dw = randomArray(k * n, 33);
    return kernels.with([x, w, w, dw, kernels.ex.csrGemmTNScratchBytes(k, m)], (xAt, wAt, wDenseAt, dwAt, columnsAt) => {
      const csr = kernels.compress(xAt, m, k);
      kernels.ex.csrColumns(columnsAt, csr.offset, 0, m);
      const updated = kernels.ex.csrSgdUpdateTouchedRows(wAt, dwAt, columnsAt, n, lr);
      kernels.ex.sgdUpdate(wDenseAt, dwAt, k * n, lr);
      csr.dispose();
      return { updated, w, got: kernels.read(wAt, k * n), every: kernels.read(wDenseAt, k * n) };
    });
  }

  it('updates the touched rows as sgdUpdate does and leaves the others bit for bit', () => {
    expect([0, 2, 7].map((p) => x.some((v, i) => i % k === p && v !== 0))).toEqual([true, false, false]);
    for (const lr of [0.1, 0, 3e-39]) {
      const { updated, w, got, every } = update(lr);
      expect(updated).toBe(1);
      for (let p = 0; p < k; p++) {
        const row = (a: Float32Array) => Array.from(bits(a.slice(p * n, (p + 1) * n)));
        const touched = Array.from({ length: m }, (_, r) => x[r * k + p]).some((v) => v !== 0);
        expect(row(got), `row ${p}, lr ${lr}`).toEqual(row(touched ? every : w));
      }
    }
  });

  it('updates nothing for a learning rate whose product with +0 is not +0 (−0, negative, ∞, NaN)', () => {
    for (const lr of [-0, -0.1, Infinity, NaN]) {
      const { updated, w, got } = update(lr);
      expect(updated, `lr ${lr}`).toBe(0);
      expectSameBits(got, w, `lr ${lr}`);
    }
  });
});

describe('real MNIST rows', () => {
  it('784-100 forward and weight gradient of a batch equal the dense kernels', async () => {
    const mnist = await loadMnist();
    const m = 100, k = 784, n = 100;
    const x = mnist.train.images.slice(0, m * k);
    const w = randomArray(k * n, 9, 0.05);
    const dz = randomArray(m * n, 10, 0.01);
    const forward = kernels.forward(x, w, m, n, k, randomArray(m * n, 1));
    expectSameBits(forward.sparse, forward.dense, 'forward');
    expectSameBits(forward.sparseAcc, forward.denseAcc, 'forward accumulate');
    const grad = kernels.weightGradient(x, dz, m, n, k, randomArray(k * n, 2));
    expectSameBits(grad.sparse, grad.dense, 'weight gradient');
    expectSameBits(grad.sparseAcc, grad.denseAcc, 'weight gradient accumulate');
    // The border pixels are blank in every image of the batch: those dW rows are exactly +0.
    for (let j = 0; j < n; j++) expect(bits(grad.sparse)[0 * n + j]).toBe(0);
  });
});

describe('negative zeros', () => {
  // The one way a skipped +0 link changes anything: a −0 accumulator, which madd(+0, w, −0)
  // turns into +0 unless w's sign bit is set. These cases force it.
  const m = 3, k = 9, n = 6;

  it('accumulating into −0 over rows that are all zero or −0', () => {
    const x = new Float32Array(m * k);
    x[1 * k + 4] = -0; // a stored −0 entry
    x[2 * k + 2] = -0;
    x[2 * k + 6] = 0.5;
    // Column 0 all negative (−0 survives every link), column 1 mixed, the rest random.
    const w = randomArray(k * n, 21).map((v, i) => (i % n === 0 ? -Math.abs(v) - 0.1 : i % n === 1 && i < n * 5 ? -1 : v));
    w[8 * n + 1] = 1;
    for (let p = 0; p < k; p++) w[p * n + 2] = p === 6 ? 0 : -1; // x·w = 0.5·0 at the stored entry
    const c0 = new Float32Array(m * n).fill(-0);
    const out = kernels.forward(x, w, m, n, k, c0);
    expectSameBits(out.sparseAcc, out.denseAcc, 'forward accumulate');
    expect(bits(out.denseAcc)[0]).toBe(0x80000000); // the case is really exercised
    expect(bits(out.denseAcc)[1]).toBe(0);
    const dw0 = new Float32Array(k * n).fill(-0);
    const dz = randomArray(m * n, 22).map((v, i) => (i % n === 0 ? -Math.abs(v) - 0.1 : v));
    const grad = kernels.weightGradient(x, dz, m, n, k, dw0);
    expectSameBits(grad.sparseAcc, grad.denseAcc, 'weight gradient accumulate');
    expect(bits(grad.denseAcc)[0]).toBe(0x80000000);
  });

  it('a product that underflows to −0 (fused multiply-add) followed by skipped zeros', () => {
    const x = new Float32Array(m * k);
    x[0 * k + 1] = 1e-30; // 1e-30 · −1e-20 underflows: −0 when fused, +0 + −0 = +0 when not
    x[1 * k + 7] = 1e-30;
    const w = new Float32Array(k * n).fill(1);
    for (let j = 0; j < n; j++) w[1 * n + j] = -1e-20;
    for (let j = 0; j < n; j++) w[7 * n + j] = j % 2 ? -1e-20 : 1e-20;
    for (let j = 3; j < n; j++) for (let p = 2; p < k; p++) if (p !== 7) w[p * n + j] = -1; // later skipped links keep −0
    const out = kernels.forward(x, w, m, n, k, new Float32Array(m * n));
    expectSameBits(out.sparse, out.dense, 'forward');
    expectSameBits(out.sparseAcc, out.denseAcc, 'forward accumulate');
    const dz = new Float32Array(m * n).fill(-1e-20);
    dz[2 * n + 0] = 1;
    const grad = kernels.weightGradient(x, dz, m, n, k, new Float32Array(k * n));
    expectSameBits(grad.sparse, grad.dense, 'weight gradient');
  });
});

describe('chooseFirstLayerPath', () => {
  it('takes the sparse path below the build\'s crossover only', () => {
    for (const build of ['simd', 'relaxed-simd'] as const) {
      for (const product of ['forward', 'weightGradient'] as const) {
        const crossover = SPARSE_CROSSOVER_DENSITY[build][product];
        expect(crossover).toBeGreaterThan(0.191); // MNIST's density is on the sparse side
        expect(crossover).toBeLessThan(1);
        expect(chooseFirstLayerPath(0, build, product)).toBe('sparse');
        expect(chooseFirstLayerPath(crossover - 1e-9, build, product)).toBe('sparse');
        expect(chooseFirstLayerPath(crossover, build, product)).toBe('dense');
        expect(chooseFirstLayerPath(1, build, product)).toBe('dense');
      }
    }
  });

  it('rejects a density outside [0, 1] and an unknown build', () => {
    expect(() => chooseFirstLayerPath(1.5, 'simd', 'forward')).toThrow(ValueError);
    expect(() => chooseFirstLayerPath(-0.1, 'simd', 'forward')).toThrow('density must be in [0, 1], got -0.1');
    expect(() => chooseFirstLayerPath(Number.NaN, 'simd', 'forward')).toThrow(/density must be in \[0, 1\], got NaN/);
    expect(() => chooseFirstLayerPath(0.2, 'wasm' as never, 'forward')).toThrow(/no crossover for build 'wasm'/);
  });
});
