// The GEMM's register tile, 6×8 or 4×8, is chosen per engine at start-up: which one runs faster
// depends on how the engine allocates registers (assembly/gemm.ts, tileRows, has the figures),
// not on anything the host can see. Both add every element's products in the same order, so the
// choice changes speed only: results are the same bits either way (test/gemm.test.ts).
//
// The measurement: one product shaped like a layer (48×392 times 392×64; 2.4 MFLOP, ~50 µs)
// timed in interleaved samples of both tiles after a warm-up that lets the engine's optimizing
// tier compile it; each sample is long enough (~1.5 ms) for a coarse browser clock, and ten of
// each keep a disturbed one from deciding (on a loaded 2-core machine six did not). The faster
// minimum wins; 6×8 only when it is at least 3% faster, since where the two tie the 4×8 tile is
// the one that cannot spill. About 40 ms, once per build per process.
import type { Runtime } from './runtime.js';
import type { KernelBuild } from './wasm.js';

const M = 48;
const N = 64;
const K = 392;
const CALLS_PER_SAMPLE = 30;
const WARMUP_CALLS = 40;
const SAMPLES = 10;

const chosen = new Map<KernelBuild, number>();

/** Measures (once per build) and sets the faster register tile on this runtime's module. */
export function chooseGemmTile(runtime: Pick<Runtime, 'kernels' | 'arena'>): number {
  const { kernels, arena } = runtime;
  const exports = kernels.exports;
  let rows = chosen.get(kernels.build);
  if (rows === undefined) {
    const a = arena.alloc(M * K * 4);
    const b = arena.alloc(K * N * 4);
    const c = arena.alloc(M * N * 4);
    // Any values: the product's time does not depend on them (no denormals: the arena zero-fills).
    const product = () => { for (let call = 0; call < CALLS_PER_SAMPLE; call++) exports.gemmNN(c, a, b, M, N, K, false); };
    const best = { 4: Infinity, 6: Infinity };
    for (let call = 0; call < WARMUP_CALLS; call++) {
      exports.gemmSetTileRows(call % 2 ? 4 : 6);
      exports.gemmNN(c, a, b, M, N, K, false);
    }
    for (let sample = 0; sample < SAMPLES; sample++) {
      for (const tile of [6, 4] as const) {
        exports.gemmSetTileRows(tile);
        const t0 = performance.now();
        product();
        best[tile] = Math.min(best[tile], performance.now() - t0);
      }
    }
    for (const at of [a, b, c]) arena.release(at);
    rows = best[6] < 0.97 * best[4] ? 6 : 4;
    chosen.set(kernels.build, rows);
  }
  exports.gemmSetTileRows(rows);
  return rows;
}
