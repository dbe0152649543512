// The GEMM's register tiles are chosen per engine at start-up: which one runs faster depends on
// how the engine allocates registers (assembly/gemm.ts, gemmSetTiles, has the figures), not on
// anything the host can see. For products whose A rows are adjacent floats (gemmTN: the weight
// gradient) 6×8, 5×8 or 4×8, 5×8 being a tile only adjacent rows allow; for those whose rows are
// a row apart (gemmNN: the forward, the evaluation) 6×8, 4×8, or A's row blocks transposed into
// adjacent order first and run with the adjacent tile (gemm.ts, gemmSetPacking: it pays where
// 6×8 spills and 5×8 does not, V8 11 and 12). Last, the CPU's choice: whether the weight gradient
// copies A's row blocks before sweeping them where a sweep spans many pages (it pays on an AMD
// Zen 3, whose data TLB those sweeps overflow, and costs on a Zen 5). Every choice adds every
// element's products in the same order, so it changes speed only: results are the same bits
// either way (test/gemm.test.ts).
//
// The measurement: one product like a weight gradient at a training batch (196×96 times 96×64;
// 2.4 MFLOP, ~50 µs) and one shaped like a layer (48×392 times 392×64, as many flops), each timed
// in interleaved samples of its candidates after a warm-up that lets the engine's optimizing tier
// compile it. Each sample is long enough (~1.5 ms) for a coarse browser clock, and ten of each
// keep a disturbed one from deciding (on a loaded 2-core machine six did not). The fastest
// minimum wins, but a larger tile only when it is more than 1% faster than 4×8: where they tie,
// 4×8 is the one that cannot spill. A spilling tile is 25% slower or more, which no noise hides;
// the margin was 3%, which kept 4×8 in 2 of 5 runs on a loaded machine where 5×8 runs training's
// weight gradients 10% faster (its samples' minima lay 0–7% apart).
// The two layouts are measured apart because they differ: V8 12's plain-SIMD build runs the
// forward as fast with 6×8 as with 4×8, and the weight gradient at 73–78% of peak with 6×8, 85–88%
// with 5×8 and 93–95% with 4×8 (npm run bench:kernels, Xeon). createRuntime, this included, took
// 100–140 ms on Node 20–24 there, of which loading the kernels 24–38 ms.
// The forward's packing is measured against 4×8 only where 6×8 lost: it is for the engines where
// 6×8 spills, and where 6×8 won (V8 13 and later) the start-up product once took packed over it in
// one of three `npm run bench:kernels` runs on a Zen 5 under revectorize, 89% of peak on the
// forward against 6×8's 96%.
// The weight gradient's packing is then measured with the chosen tiles on the first 48 rows of a
// 784-input layer's weight gradient at batch 100 (gemmTNStrided: A's rows 784 floats apart, so
// the sweeps span the 77 pages the real one does, at 0.6 MFLOP a call), and taken, likewise,
// only when more than 1% faster than not. The packings' measurements cost start-up time:
// createRuntime on an AMD Zen 5, relaxed SIMD, timed alone, Node 22 / 24 / 26: 102 / 74 / 79 ms
// before them, 199–216 / 129–161 / 132 ms with them (Node 22 measures the forward's packing
// against 4×8 as a second round; one to three runs each, the later ones on a noisier machine).
import type { Runtime } from './runtime.js';
import type { KernelBuild, KernelExports } from './wasm.js';

/** The GEMM's speed choices (assembly/gemm.ts gemmSetTiles, gemmSetPacking). */
export interface GemmTiles {
  /** Rows of the register tile for gemmNN, when it does not pack: 4 or 6. */
  strided: number;
  /** Rows of the register tile for gemmTN, and for gemmNN when it packs: 4, 5 or 6. */
  adjacent: number;
  /** Whether gemmNN transposes A's row blocks and runs the adjacent tile. */
  packStrided: boolean;
  /** Whether gemmTN copies A's row blocks where its sweeps span many pages. */
  packAdjacent: boolean;
}

// The weight gradient's product, (BATCH×INPUTS)ᵀ times BATCH×N…
const BATCH = 96;
const INPUTS = 196;
const N = 64;
// …and the forward's, M×K times K×N: A takes as many floats as BATCH×INPUTS.
const M = 48;
const K = 392;
const CALLS_PER_SAMPLE = 30;
// The packing's product: rows PACK_ROWS of a (PACK_BATCH×PACK_INPUTS)ᵀ·(PACK_BATCH×N) gradient.
const PACK_ROWS = 48;
const PACK_INPUTS = 784;
const PACK_BATCH = 100;
const PACK_CALLS_PER_SAMPLE = 120;
const WARMUP_CALLS = 40;
const SAMPLES = 10;

const chosen = new Map<KernelBuild, GemmTiles>();

/** The choices a module is set to. */
export function gemmTiles(exports: Pick<KernelExports, 'gemmTileRows' | 'gemmPacks'>): GemmTiles {
  return {
    strided: exports.gemmTileRows(false), adjacent: exports.gemmTileRows(true),
    packStrided: exports.gemmPacks(false) !== 0, packAdjacent: exports.gemmPacks(true) !== 0,
  };
}

/** Sets a module to `tiles`. */
export function setGemmTiles(exports: Pick<KernelExports, 'gemmSetTiles' | 'gemmSetPacking'>, tiles: GemmTiles): void {
  exports.gemmSetTiles(tiles.strided, tiles.adjacent);
  exports.gemmSetPacking(tiles.packStrided, tiles.packAdjacent);
}

/** Measures (once per build) and sets the faster choices on this runtime's module. */
export function chooseGemmTiles(runtime: Pick<Runtime, 'kernels' | 'arena'>): GemmTiles {
  const { kernels, arena } = runtime;
  const exports = kernels.exports;
  let tiles = chosen.get(kernels.build);
  if (tiles === undefined) {
    const a = arena.alloc(PACK_BATCH * PACK_INPUTS * 4); // the largest A of the three
    const b = arena.alloc(K * N * 4);
    const c = arena.alloc(INPUTS * N * 4);
    // Any values: the products' time does not depend on them (no denormals: the arena zero-fills).
    exports.gemmSetPacking(false, false);
    const adjacent = fastest([6, 5], 4, CALLS_PER_SAMPLE, (rows) => {
      exports.gemmSetTiles(4, rows);
      exports.gemmTN(c, a, b, INPUTS, N, BATCH, false);
    });
    const forward = (choice: number | 'packed') => {
      exports.gemmSetTiles(choice === 'packed' ? 4 : choice, adjacent);
      exports.gemmSetPacking(choice === 'packed', false);
      exports.gemmNN(c, a, b, M, N, K, false);
    };
    const strided = fastest([6], 4, CALLS_PER_SAMPLE, forward);
    // Packing is for the engines where 6×8 spills: offered against 4×8 only.
    const packStrided = strided === 4 && fastest<number | 'packed'>(['packed'], 4, CALLS_PER_SAMPLE, forward) === 'packed';
    exports.gemmSetTiles(strided, adjacent);
    const packAdjacent = fastest([true], false, PACK_CALLS_PER_SAMPLE, (pack) => {
      exports.gemmSetPacking(packStrided, pack);
      exports.gemmTNStrided(c, a, b, PACK_ROWS, N, PACK_BATCH, PACK_INPUTS, false);
    });
    for (const at of [a, b, c]) arena.release(at);
    tiles = { strided, adjacent, packStrided, packAdjacent };
    chosen.set(kernels.build, tiles);
  }
  setGemmTiles(exports, tiles);
  return tiles;
}

/** The fastest of `others` if it runs the product more than 1% faster than `baseline`, else `baseline`. */
function fastest<T>(others: T[], baseline: T, callsPerSample: number, product: (choice: T) => void): T {
  const candidates = [...others, baseline];
  for (let call = 0; call < WARMUP_CALLS; call++) product(candidates[call % candidates.length]);
  const best = new Map(candidates.map((choice) => [choice, Infinity]));
  for (let sample = 0; sample < SAMPLES; sample++) {
    for (const choice of candidates) {
      const t0 = performance.now();
      for (let call = 0; call < callsPerSample; call++) product(choice);
      best.set(choice, Math.min(best.get(choice)!, performance.now() - t0));
    }
  }
  const winner = others.reduce((a, b) => (best.get(b)! < best.get(a)! ? b : a));
  return best.get(winner)! < 0.99 * best.get(baseline)! ? winner : baseline;
}
