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
 * `npm run bench:sparse` on one core of an Intel Xeon (2 cores, shared with other jobs). Five
 * single-pass runs (best of 25 interleaved samples per kernel) put the crossing of the
 * sparse/dense time ratio at
 *   simd          forward          58.9 59.1 60.1 57.8 59.6% (MNIST-like)  55.9 56.5 54.5 55.4 54.3% (uniform)
 *                 weight gradient  61.7 60.3 60.2 61.7 62.8%               62.4 58.2 56.9 59.4 59.6%
 *   relaxed-simd  forward          51.3 51.2 48.5 49.7 50.4%               48.1 50.1 46.0 46.3 46.8%
 *                 weight gradient  50.6 51.8 49.4 51.8 50.2%               48.1 48.3 43.2 49.7 51.1%
 * Each constant is the mean of its ten, rounded down to a percent. Near it the ratio moves about
 * 3% per density point, and run-to-run noise moved the crossover by ±3 points, so a pick close
 * to it can be up to ~10% slower than the other path; far from it (MNIST is at 19%) the choice is
 * clear. Two later three-pass runs measured 60.0/56.1 and 58.4/53.9% (simd forward), 59.9/59.7
 * and 61.3/65.2% (simd weight gradient), 47.3/49.9 and 51.2/46.7%, 47.1/46.3 and 49.6/55.0%
 * (relaxed-simd), and these constants at most 0.3% and 3.8% slower than the better path at any
 * density of their sweeps; the second is the one in bench/RESULTS.md.
 */
export const SPARSE_CROSSOVER_DENSITY: Readonly<Record<KernelBuild, Readonly<Record<FirstLayerProduct, number>>>> = {
  simd: { forward: 0.57, weightGradient: 0.6 },
  'relaxed-simd': { forward: 0.48, weightGradient: 0.49 },
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
