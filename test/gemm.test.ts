import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseGemmTiles, type GemmTiles, gemmTiles, setGemmTiles } from '../src/gemm-tile.js';
import type { Runtime } from '../src/runtime.js';
import { loadKernels } from '../src/wasm.js';
import {
  fusedMultiplyAddF32, matmul, matmulChain, multiplyThenAddF32, randomArray,
} from './support/reference.js';
import { buildUnderTest, getF32, put, testRuntime } from './support/runtime.js';

// Shapes that are not multiples of the vector width (4) or of the tile (4 rows × 8 columns),
// the network's own shapes, and degenerate ones.
const DIMS = [1, 3, 5, 17, 100];
const SHAPES: [number, number, number][] = [];
for (const m of DIMS) for (const n of DIMS) for (const k of [1, 3, 17, 100]) SHAPES.push([m, n, k]);
SHAPES.push([100, 100, 784], [784, 100, 100], [100, 10, 100], [100, 784, 10], [7, 9, 784], [4, 8, 1], [8, 16, 33]);

const UNIT_ROUNDOFF = 2 ** -24;

// Forward error bound of a k-term f32 dot product: |ĉ − c| ≤ γ_k Σ|a||b|, γ_k ≈ k·u. The check
// uses 2·k·u (+ one rounding of an accumulated C) so it holds for any summation order and for
// fused or unfused multiply-add, yet a wrong index or a dropped term is far outside it.
function expectWithinGemmBound(
  got: Float32Array, want: Float64Array, absBound: Float64Array, k: number, what: string,
) {
  for (let i = 0; i < want.length; i++) {
    const tolerance = (2 * k + 2) * UNIT_ROUNDOFF * absBound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tolerance)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]} (tolerance ${tolerance})`);
    }
  }
}

function abs(values: Float32Array): Float32Array {
  return values.map(Math.abs);
}

describe.each(['NN', 'TN', 'NT'] as const)('gemm%s', (layout) => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await testRuntime();
  });

  it.each(SHAPES)(`M=%i N=%i K=%i, overwrite and accumulate`, (m, n, k) => {
    const { exports } = runtime.kernels;
    const a = randomArray(m * k, m * 7919 + k);
    const b = randomArray(k * n, n * 104729 + k + 1);
    const c0 = randomArray(m * n, m + n + k);
    const want = matmul(a, b, m, n, k, layout);
    const bound = matmul(abs(a), abs(b), m, n, k, layout);

    const aAt = put(runtime, a);
    const bAt = put(runtime, b);
    const cAt = put(runtime, c0); // garbage that overwrite must ignore
    const packAt = runtime.arena.alloc(n * k * 4 + 16);
    const call = (accumulate: boolean) => {
      if (layout === 'NN') exports.gemmNN(cAt, aAt, bAt, m, n, k, accumulate);
      else if (layout === 'TN') exports.gemmTN(cAt, aAt, bAt, m, n, k, accumulate);
      else exports.gemmNT(cAt, aAt, bAt, m, n, k, accumulate, packAt);
    };

    call(false);
    expectWithinGemmBound(getF32(runtime, cAt, m * n), want, bound, k, 'overwrite');

    new Float32Array(runtime.arena.memory.buffer, cAt, m * n).set(c0);
    call(true);
    const wantAcc = want.map((v, i) => v + c0[i]);
    const boundAcc = bound.map((v, i) => v + Math.abs(c0[i]));
    expectWithinGemmBound(getF32(runtime, cAt, m * n), wantAcc, boundAcc, k, 'accumulate');

    // Nothing past the end of C is touched.
    const guard = new Float32Array(runtime.arena.memory.buffer, cAt + m * n * 4, 4);
    expect(Array.from(guard)).toEqual([0, 0, 0, 0]);
    for (const at of [aAt, bAt, cAt, packAt]) runtime.arena.release(at);
  });
});

// Every tile shape, blocking and edge path must add each element's products in one order (the
// chain over k = 0 … K−1), so results are bit-identical however the kernels are tuned. These
// shapes cross every boundary: several K pieces (K past gemm.ts's PACK_K, 1024: two pieces,
// the last short, and three, the last of one row), several column blocks (N > 128) with every edge width 1–7, row blocks (24) with leftover rows of 1–5.
// Packing (when set to) applies where C has 64 columns or more, and for TN where a sweep spans
// 256 KB: 784×100×100, 700×67×101, and 300×70×1100's first K piece but not its second. NN packs
// in chunks of 96 of K: 784, 257, 101 and 1100 leave short last chunks.
const CHAIN_SHAPES: [number, number, number][] = [
  [1, 1, 1], [5, 7, 3], [7, 13, 17], [29, 9, 300], [31, 100, 784], [100, 133, 257], [26, 260, 40],
  [784, 100, 100], [6, 8, 513], [25, 12, 50], [13, 6, 9], [3, 5, 600], [5, 9, 1100], [3, 17, 2049],
  [700, 67, 101], [300, 70, 1100],
];

// Every register tile each layout can run (the runtime picks the faster at start-up,
// src/gemm-tile.ts): NN and NT (an NN product on Bᵀ) the strided tiles, or packed the adjacent
// ones; TN the adjacent ones, packed or not.
const CHAIN_CASES = [
  ...(['NN', 'NT'] as const).flatMap((layout) => [
    ...[6, 4].map((tile) => [layout, tile, false] as const),
    ...[6, 5, 4].map((tile) => [layout, tile, true] as const),
  ]),
  ...[6, 5, 4].flatMap((tile) => [false, true].map((pack) => ['TN', tile, pack] as const)),
];

describe.each(CHAIN_CASES)('gemm%s with %i-row tiles (packing A: %s) is the k-ordered madd chain, bit for bit', (layout, tile, pack) => {
  let runtime: Runtime;
  let madd: (a: number, b: number, acc: number) => number;
  let chosen: GemmTiles;
  beforeAll(async () => {
    runtime = await testRuntime();
    chosen = gemmTiles(runtime.kernels.exports);
    // The other layout keeps a tile and a packing other than this case's, so that a product
    // taking the wrong one of the settings runs the wrong code and the case sees it.
    const { gemmSetTiles, gemmSetPacking } = runtime.kernels.exports;
    if (layout === 'TN' || pack) gemmSetTiles(tile === 6 ? 4 : 6, tile); // packed NN runs the adjacent tile
    else gemmSetTiles(tile, tile === 6 ? 4 : 6);
    if (layout === 'TN') gemmSetPacking(!pack, pack);
    else gemmSetPacking(pack, !pack);
    // Which madd this engine runs: the relaxed build fuses where the CPU has FMA. One product
    // tells them apart: (1 + 2⁻¹²)² − (1 + 2⁻¹¹) is 2⁻²⁴ fused, 0 when the product is rounded.
    const x = 1 + 2 ** -12;
    const aAt = put(runtime, new Float32Array([x]));
    const bAt = put(runtime, new Float32Array([x, x, x, x]));
    const cAt = put(runtime, new Float32Array(4).fill(-(1 + 2 ** -11)));
    runtime.kernels.exports.gemmNN(cAt, aAt, bAt, 1, 4, 1, true);
    const fused = getF32(runtime, cAt, 1)[0] === 2 ** -24;
    if (runtime.kernels.build === 'simd') expect(fused).toBe(false);
    madd = fused ? fusedMultiplyAddF32 : multiplyThenAddF32;
  });
  afterAll(() => setGemmTiles(runtime.kernels.exports, chosen));

  it.each(CHAIN_SHAPES)('M=%i N=%i K=%i', (m, n, k) => {
    const { exports } = runtime.kernels;
    const a = randomArray(m * k, m * 31 + k);
    const b = randomArray(k * n, n * 17 + k);
    const c0 = randomArray(m * n, m + 3 * n);
    const aAt = put(runtime, a);
    const bAt = put(runtime, b);
    const cAt = put(runtime, c0);
    const packAt = runtime.arena.alloc(n * k * 4 + 16);
    for (const accumulate of [false, true]) {
      new Float32Array(runtime.arena.memory.buffer, cAt, m * n).set(c0);
      if (layout === 'NN') exports.gemmNN(cAt, aAt, bAt, m, n, k, accumulate);
      else if (layout === 'TN') exports.gemmTN(cAt, aAt, bAt, m, n, k, accumulate);
      else exports.gemmNT(cAt, aAt, bAt, m, n, k, accumulate, packAt);
      const want = matmulChain(a, b, m, n, k, layout, madd, accumulate ? c0 : undefined);
      const got = getF32(runtime, cAt, m * n);
      const first = got.findIndex((v, i) => !Object.is(v, want[i]));
      if (first >= 0) expect.fail(`${accumulate ? 'accumulate' : 'overwrite'}: element ${first} is ${got[first]}, the chain gives ${want[first]}`);
      if (layout === 'TN' && m > 2) {
        // Rows [1, m − 1) of C alone, as a thread computes its rows of a weight gradient: A's
        // rows stay m floats long (lda), C and A start a row and a column in.
        const rows = m - 2;
        new Float32Array(runtime.arena.memory.buffer, cAt, m * n).set(c0);
        exports.gemmTNStrided(cAt + n * 4, aAt + 4, bAt, rows, n, k, m, accumulate);
        const inner = getF32(runtime, cAt, m * n);
        const differs = inner.findIndex((v, i) => !Object.is(v, i < n || i >= (m - 1) * n ? c0[i] : want[i]));
        if (differs >= 0) expect.fail(`rows [1, ${m - 1}) by gemmTNStrided: element ${differs} is ${inner[differs]}, the chain gives ${want[differs]}`);
      }
      if (layout === 'NN') {
        // The same C in two column ranges, as threads share a product with few rows: the split
        // at a multiple of 4 leaves 4-wide edges and full panels on either side of it.
        new Float32Array(runtime.arena.memory.buffer, cAt, m * n).set(c0);
        const split = 4 * Math.floor(n / 8);
        exports.gemmNNColumns(cAt, aAt, bAt, m, n, k, 0, split, accumulate);
        exports.gemmNNColumns(cAt, aAt, bAt, m, n, k, split, n, accumulate);
        const byColumns = getF32(runtime, cAt, m * n);
        const differs = byColumns.findIndex((v, i) => !Object.is(v, want[i]));
        if (differs >= 0) expect.fail(`columns [0, ${split}) and [${split}, ${n}): element ${differs} is ${byColumns[differs]}, the chain gives ${want[differs]}`);
      }
    }
    for (const at of [aAt, bAt, cAt, packAt]) runtime.arena.release(at);
  });
});

describe('transpose', () => {
  it.each([[1, 1], [3, 5], [17, 4], [100, 10], [784, 3]])('%i×%i', async (rows, cols) => {
    const runtime = await testRuntime();
    const src = randomArray(rows * cols, rows * cols);
    const srcAt = put(runtime, src);
    const dstAt = runtime.arena.alloc(rows * cols * 4);
    runtime.kernels.exports.transpose(dstAt, srcAt, rows, cols);
    const dst = getF32(runtime, dstAt, rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(dst[c * rows + r]).toBe(src[r * cols + c]);
  });
});

// Packing changes no value (above), so these cases count the row blocks it copied: it applies
// where C has 64 columns or more, and for TN where a sweep (K piece × A's row, bytes) spans 256 KB.
// Row blocks are 24 rows, counted once per block of 128 columns and K piece of 1024.
const PACKING_CASES: [string, 'NN' | 'TN', number, number, number, number][] = [
  ['TN, a 313 KB sweep', 'TN', 784, 100, 100, 33],
  ['TN, a sweep of exactly 256 KB', 'TN', 512, 64, 128, 22],
  ['TN, a sweep just under 256 KB', 'TN', 511, 64, 128, 0],
  ['TN, 63 columns', 'TN', 784, 63, 100, 0],
  ['TN, two K pieces, the second sweeping 91 KB', 'TN', 300, 70, 1100, 13],
  ['NN, 64 columns', 'NN', 100, 64, 784, 5],
  ['NN, 63 columns', 'NN', 100, 63, 784, 0],
  ['NN, two column blocks', 'NN', 100, 133, 257, 10],
  ['NN, two K pieces, the first of 1024', 'NN', 30, 64, 1100, 4],
];

describe('packing applies where it should', () => {
  it.each(PACKING_CASES)('%s', async (_, layout, m, n, k, blocks) => {
    const runtime = await testRuntime();
    const { exports } = runtime.kernels;
    // The scratch in an arena block, which a red zone follows (test/support/runtime.ts): a copy
    // of A that writes past it (a K piece of 1024 fills it) fails the test.
    exports.gemmUseScratch(runtime.arena.alloc(runtime.kernels.layout.GEMM_SCRATCH_BYTES));
    const chosen = gemmTiles(exports);
    const [aAt, bAt, cAt] = [m * k, k * n, m * n].map((length) => runtime.arena.alloc(length * 4));
    const run = () => (layout === 'NN' ? exports.gemmNN(cAt, aAt, bAt, m, n, k, false) : exports.gemmTN(cAt, aAt, bAt, m, n, k, false));
    exports.gemmTakePackedRowBlocks();
    for (const [strided, adjacent] of [[false, false], [layout === 'TN', layout === 'NN']]) {
      exports.gemmSetPacking(strided, adjacent); // off, then only the other layout's on
      run();
      expect(exports.gemmTakePackedRowBlocks()).toBe(0);
    }
    exports.gemmSetPacking(layout === 'NN', layout === 'TN');
    run();
    expect(exports.gemmTakePackedRowBlocks()).toBe(blocks);
    expect(exports.gemmTakePackedRowBlocks()).toBe(0); // taken
    setGemmTiles(exports, chosen);
    for (const at of [aAt, bAt, cAt]) runtime.arena.release(at);
  });

  it('a column range packs by its own width: 56 columns from column 64 do not, columns 0–63 do', async () => {
    const runtime = await testRuntime();
    const { exports } = runtime.kernels;
    const chosen = gemmTiles(exports);
    const [m, n, k] = [100, 120, 300];
    const [aAt, bAt, cAt] = [m * k, k * n, m * n].map((length) => runtime.arena.alloc(length * 4));
    exports.gemmSetPacking(true, false);
    exports.gemmTakePackedRowBlocks();
    exports.gemmNNColumns(cAt, aAt, bAt, m, n, k, 64, n, false);
    expect(exports.gemmTakePackedRowBlocks()).toBe(0);
    exports.gemmNNColumns(cAt, aAt, bAt, m, n, k, 0, 64, false);
    expect(exports.gemmTakePackedRowBlocks()).toBe(5);
    setGemmTiles(exports, chosen);
    for (const at of [aAt, bAt, cAt]) runtime.arena.release(at);
  });

  it('a module starts unpacked, before a runtime chooses', async () => {
    const { exports } = await loadKernels(buildUnderTest);
    expect([exports.gemmPacks(false), exports.gemmPacks(true)]).toEqual([0, 0]);
  });
});

describe('the register tiles and packing chosen at start-up', () => {
  it('are 4 or 6 rows strided and 4, 5 or 6 adjacent, packing or not, set on the module, the same for every runtime of a build', async () => {
    const first = await testRuntime();
    const second = await testRuntime();
    const tiles = gemmTiles(first.kernels.exports);
    expect([4, 6]).toContain(tiles.strided);
    expect([4, 5, 6]).toContain(tiles.adjacent);
    expect(typeof tiles.packStrided).toBe('boolean');
    expect(typeof tiles.packAdjacent).toBe('boolean');
    expect(gemmTiles(second.kernels.exports)).toEqual(tiles);
    expect(chooseGemmTiles(second)).toEqual(tiles);
  });

  it('take only the tiles there are', async () => {
    const { exports } = (await testRuntime()).kernels;
    const tiles = gemmTiles(exports);
    setGemmTiles(exports, { strided: 4, adjacent: 5, packStrided: false, packAdjacent: true });
    expect(gemmTiles(exports)).toEqual({ strided: 4, adjacent: 5, packStrided: false, packAdjacent: true });
    exports.gemmSetTiles(5, 4);
    exports.gemmSetPacking(true, false);
    expect(gemmTiles(exports)).toEqual({ strided: 6, adjacent: 4, packStrided: true, packAdjacent: false });
    exports.gemmSetTiles(3, 7);
    expect(gemmTiles(exports)).toEqual({ strided: 6, adjacent: 6, packStrided: true, packAdjacent: false });
    setGemmTiles(exports, tiles);
  });
});
