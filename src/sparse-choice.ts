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
 * `npm run bench:sparse` on one core of an Intel Xeon (Sapphire Rapids-class, 2 cores, shared
 * with other jobs, best of 25 interleaved samples): the sparse/dense time ratio crosses 1 at
 *   simd          forward 56.9% (MNIST-like) / 55.5% (uniform), weight gradient 55.9% / 49.8%
 *   relaxed-simd  forward 47.6% / 47.2%,                       weight gradient 45.7% / 39.8%
 * Each constant is the lower of the two patterns rounded down, so a wrong pick near it costs
 * little (the two paths are within a few percent there). bench/RESULTS.md has the sweep.
 */
export const SPARSE_CROSSOVER_DENSITY: Readonly<Record<KernelBuild, Readonly<Record<FirstLayerProduct, number>>>> = {
  simd: { forward: 0.55, weightGradient: 0.49 },
  'relaxed-simd': { forward: 0.47, weightGradient: 0.39 },
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
