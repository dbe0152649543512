// The GEMM's register tiles are chosen per engine at start-up: which one runs faster depends on
// how the engine allocates registers (assembly/gemm.ts, gemmSetTiles, has the figures), not on
// anything the host can see. Two choices: for products whose A rows are a row apart (gemmNN:
// the forward, the evaluation) 6×8 or 4×8; for those whose are adjacent floats (gemmTN: the
// weight gradient) that same tile or 5×8, which only adjacent rows allow. Every tile adds every
// element's products in the same order, so the choice changes speed only: results are the same
// bits either way (test/gemm.test.ts).
//
// The measurement: one product shaped like a layer (48×392 times 392×64; 2.4 MFLOP, ~50 µs), and
// its weight gradient (392×48 times 48×64, as many flops), timed in interleaved samples of the
// two candidates after a warm-up that lets the engine's optimizing tier compile it; each sample
// is long enough (~1.5 ms) for a coarse browser clock, and ten of each keep a disturbed one from
// deciding (on a loaded 2-core machine six did not). The faster minimum wins, but 6×8 over 4×8,
// or 5×8 over the strided choice, only when it is at least 3% faster: where 6×8 and 4×8 tie the
// 4×8 is the one that cannot spill, and 5×8's lane shuffles must earn their place.
// The adjacent choice starts from the strided one because both depend on the same thing, whether
// the engine keeps 6×8's 15 live vectors in registers (it does for both layouts or for neither:
// V8 11–12 and 13–14 on the Xeon). About 80 ms, once per build per process.
import type { Runtime } from './runtime.js';
import type { KernelBuild, KernelExports } from './wasm.js';

/** Rows of the two register tiles (assembly/gemm.ts gemmSetTiles). */
export interface GemmTiles {
  strided: number;
  adjacent: number;
}

const M = 48;
const N = 64;
const K = 392;
const CALLS_PER_SAMPLE = 30;
const WARMUP_CALLS = 40;
const SAMPLES = 10;

const chosen = new Map<KernelBuild, GemmTiles>();

/** The tiles a module is set to. */
export function gemmTiles(exports: Pick<KernelExports, 'gemmTileRows'>): GemmTiles {
  return { strided: exports.gemmTileRows(false), adjacent: exports.gemmTileRows(true) };
}

/** Measures (once per build) and sets the faster register tiles on this runtime's module. */
export function chooseGemmTiles(runtime: Pick<Runtime, 'kernels' | 'arena'>): GemmTiles {
  const { kernels, arena } = runtime;
  const exports = kernels.exports;
  let tiles = chosen.get(kernels.build);
  if (tiles === undefined) {
    const a = arena.alloc(M * K * 4);
    const b = arena.alloc(K * N * 4);
    const c = arena.alloc(K * N * 4);
    // Any values: the products' time does not depend on them (no denormals: the arena zero-fills).
    const strided = unlessSlower(6, 4, (rows) => {
      exports.gemmSetTiles(rows, 4);
      exports.gemmNN(c, a, b, M, N, K, false);
    });
    const adjacent = unlessSlower(5, strided, (rows) => {
      exports.gemmSetTiles(strided, rows);
      exports.gemmTN(c, a, b, K, N, M, false);
    });
    for (const at of [a, b, c]) arena.release(at);
    tiles = { strided, adjacent };
    chosen.set(kernels.build, tiles);
  }
  exports.gemmSetTiles(tiles.strided, tiles.adjacent);
  return tiles;
}

/** `candidate` if the product runs at least 3% faster with it than with `fallback`, else `fallback`. */
function unlessSlower(candidate: number, fallback: number, product: (rows: number) => void): number {
  const candidates = [candidate, fallback];
  for (let call = 0; call < WARMUP_CALLS; call++) product(candidates[call % 2]);
  const best = new Map(candidates.map((rows) => [rows, Infinity]));
  for (let sample = 0; sample < SAMPLES; sample++) {
    for (const rows of candidates) {
      const t0 = performance.now();
      for (let call = 0; call < CALLS_PER_SAMPLE; call++) product(rows);
      best.set(rows, Math.min(best.get(rows)!, performance.now() - t0));
    }
  }
  return best.get(candidate)! < 0.97 * best.get(fallback)! ? candidate : fallback;
}
