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
 * `npm run bench:sparse` on one core of an Intel Xeon (2 cores; the benchmark at real-time
 * priority, `chrt -f 10`, so the machine's other jobs did not disturb it). Three runs put the
 * crossing of the sparse/dense time ratio at
 *   simd          forward          62.6 62.2 62.6% (MNIST-like)  61.4 60.6 62.1% (uniform)
 *                 weight gradient  63.0 61.8 62.8%               62.3 61.8 61.4%
 *   relaxed-simd  forward          52.9 53.5 53.0%               50.9 49.6 50.6%
 *                 weight gradient  59.6 58.4 57.4%               57.6 57.5 57.8%
 * Each constant is the mean of its six, rounded to a percent (the runs of a loaded machine,
 * before the GEMM and the sparse kernels were last reworked, had put them 2–8 points lower).
 * Near it the ratio moves 2–3% per density point, so a choice within 1.5 points of a pattern's
 * own crossover costs at most ~3%; far from it (MNIST is at 19%) the choice is clear.
 */
export const SPARSE_CROSSOVER_DENSITY: Readonly<Record<KernelBuild, Readonly<Record<FirstLayerProduct, number>>>> = {
  simd: { forward: 0.62, weightGradient: 0.62 },
  'relaxed-simd': { forward: 0.52, weightGradient: 0.58 },
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
