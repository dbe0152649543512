// Dense or sparse first-layer products, chosen from the input's density (the fraction of its
// entries that are not +0). Both paths give the same bits (assembly/sparse.ts), so the choice is
// only about speed, and the forward and the weight gradient may each take their own path.
import { ValueError } from './errors.js';
import type { KernelBuild } from './wasm.js';

export type FirstLayerPath = 'dense' | 'sparse';
export type FirstLayerProduct = 'forward' | 'weightGradient';

/**
 * Density below which the sparse product is faster than the dense one, per build, on the
 * 784-100-10 first layer (batch 100 gathered from rows compressed once). Measured by
 * `npm run bench:sparse` on one core of an Intel Xeon (2 cores, shared with other jobs: load
 * average 6–13 during these runs). Three three-pass runs (best of 3 × 12 interleaved samples
 * per kernel) put the crossing of the sparse/dense time ratio at
 *   simd          forward          58.3 61.0 57.4% (MNIST-like)  58.9 57.7 58.2% (uniform)
 *                 weight gradient  66.9 61.4 60.6%               62.0 58.5 59.8%
 *   relaxed-simd  forward          50.3 52.1 51.7%               49.3 50.3 47.9%
 *                 weight gradient  47.0 50.7 50.9%               51.8 51.3 52.0%
 * Each constant is the mean of its six, rounded down to a percent (the previous kernels, whose
 * rows kept columns and values apart and whose weight gradient read the batch's rows cold,
 * crossed 1–2 points lower). Near it the ratio moves 2–5% per density point and run-to-run
 * noise moved the crossover by ±3 points, so a pick close to it can be up to ~8% slower than
 * the other path in one run (bench/RESULTS.md shows the last run's worst case); far from it
 * (MNIST is at 19%) the choice is clear.
 */
export const SPARSE_CROSSOVER_DENSITY: Readonly<Record<KernelBuild, Readonly<Record<FirstLayerProduct, number>>>> = {
  simd: { forward: 0.58, weightGradient: 0.61 },
  'relaxed-simd': { forward: 0.5, weightGradient: 0.5 },
};

/** 'sparse' when `density` is below the build's crossover for this product, else 'dense'. */
export function chooseFirstLayerPath(density: number, build: KernelBuild, product: FirstLayerProduct): FirstLayerPath {
  if (!(density >= 0 && density <= 1)) throw new ValueError(`density must be in [0, 1], got ${density}`);
  const crossover = SPARSE_CROSSOVER_DENSITY[build]?.[product];
  if (crossover === undefined) {
    throw new ValueError(`no crossover for build '${String(build)}' and product '${String(product)}': expected simd or relaxed-simd, forward or weightGradient`);
  }
  return density < crossover ? 'sparse' : 'dense';
}
