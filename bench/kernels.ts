// The kernels against the machine's ceiling: each dense product the networks run, on both
// builds, as GFLOP/s and % of the build's measured peak. The machines these run on are shared
// and noisy, so each product is timed in interleaved rounds (simd, relaxed, simd, …) and the
// best round counts: a disturbance only ever makes a round slower. `npm run bench:kernels` runs
// this alone and records the CPU's row in bench/cpus.json, the history by CPU that RESULTS.md
// shows; `npm run bench` runs it as part of the whole suite.
import { readFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import type { KernelBuild, Runtime } from 'simdnet';

export const BUILDS: KernelBuild[] = ['simd', 'relaxed-simd'];

export interface KernelShape {
  label: string;
  layout: 'NN' | 'TN';
  m: number;
  n: number;
  k: number;
  /** One of the three products every CPU must run at ≥ 80% of the relaxed peak. */
  headline?: true;
}

// The 784-100-10 step's two big products, the evaluation's, and the 784-128-256-10 network's
// forward and weight-gradient products at batch 64 and 128.
export const KERNEL_SHAPES: KernelShape[] = [
  { label: 'forward (100×784)·(784×100)', layout: 'NN', m: 100, n: 100, k: 784, headline: true },
  { label: 'weight gradient (784×100)ᵀ·(100×100)', layout: 'TN', m: 784, n: 100, k: 100, headline: true },
  { label: 'evaluation (10000×784)·(784×100)', layout: 'NN', m: 10000, n: 100, k: 784, headline: true },
  ...[64, 128].flatMap((batch): KernelShape[] => [
    { label: `(${batch}×784)·(784×128)`, layout: 'NN', m: batch, n: 128, k: 784 },
    { label: `(${batch}×128)·(128×256)`, layout: 'NN', m: batch, n: 256, k: 128 },
    { label: `(${batch}×256)·(256×10)`, layout: 'NN', m: batch, n: 10, k: 256 },
    { label: `(${batch}×784)ᵀ·(${batch}×128)`, layout: 'TN', m: 784, n: 128, k: batch },
    { label: `(${batch}×128)ᵀ·(${batch}×256)`, layout: 'TN', m: 128, n: 256, k: batch },
    { label: `(${batch}×256)ᵀ·(${batch}×10)`, layout: 'TN', m: 256, n: 10, k: batch },
  ]),
];

export interface Peak { chained: number; accumulate: number; peak: number }

/** The build's ceiling: the better of its two register-only madd loops (assembly/peak.ts). */
export function measurePeak(runtime: Runtime, trials = 7): Peak {
  const { exports } = runtime.kernels;
  const rate = (fn: (n: number) => number, flopsPerIteration: number) => {
    fn(1 << 20);
    let best = 0;
    for (let trial = 0; trial < trials; trial++) {
      const n = 1 << 24;
      const t0 = performance.now();
      fn(n);
      best = Math.max(best, (n * flopsPerIteration) / ((performance.now() - t0) / 1000) / 1e9);
    }
    return best;
  };
  const chained = rate(exports.simdPeakChained, 96);
  const accumulate = rate(exports.simdPeakAccumulate, 80);
  return { chained, accumulate, peak: Math.max(chained, accumulate) };
}

export const TILES = [6, 4] as const;

export interface KernelRow {
  shape: string; layout: string; m: number; n: number; k: number; headline: boolean;
  /** With the register tile the runtime chose (tileRows). */
  gflops: Record<KernelBuild, number>; percentOfPeak: Record<KernelBuild, number>;
  /** % of peak with each tile, e.g. byTile['relaxed-simd'][6]. */
  byTile: Record<KernelBuild, Record<number, number>>;
  tileRows: Record<KernelBuild, number>;
}

/**
 * Best-of-`rounds` GFLOP/s of every shape on both builds and with both register tiles (the
 * runtime picks one at start-up, src/gemm-tile.ts), all four interleaved.
 */
export function benchKernels(runtimes: Record<KernelBuild, Runtime>, peaks: Record<KernelBuild, Peak>, rounds: number): KernelRow[] {
  const rows: KernelRow[] = [];
  const chosen = Object.fromEntries(BUILDS.map((build) => [build, runtimes[build].kernels.exports.gemmTileRows()])) as Record<KernelBuild, number>;
  for (const shape of KERNEL_SHAPES) {
    const { layout, m, n, k } = shape;
    const flops = 2 * m * n * k;
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
    // Enough calls per round that one round lasts ~2 ms: timer resolution and call overhead vanish.
    const calls = Math.max(1, Math.round(2e-3 * 50e9 / flops));
    const run: Partial<Record<KernelBuild, () => void>> = {};
    const release: (() => void)[] = [];
    for (const build of BUILDS) {
      const { arena, kernels } = runtimes[build];
      const [aAt, bAt, cAt] = [a.length, b.length, m * n].map((length) => arena.alloc(length * 4));
      new Float32Array(arena.memory.buffer, aAt, a.length).set(a);
      new Float32Array(arena.memory.buffer, bAt, b.length).set(b);
      const gemm = layout === 'NN' ? kernels.exports.gemmNN : kernels.exports.gemmTN;
      run[build] = () => { for (let call = 0; call < calls; call++) gemm(cAt, aAt, bAt, m, n, k, false); };
      release.push(() => [aAt, bAt, cAt].forEach((at) => arena.release(at)));
    }
    const best: Record<KernelBuild, Record<number, number>> = { simd: { 4: Infinity, 6: Infinity }, 'relaxed-simd': { 4: Infinity, 6: Infinity } };
    for (let round = -1; round < rounds; round++) {
      for (const tile of TILES) {
        for (const build of BUILDS) {
          runtimes[build].kernels.exports.gemmSetTileRows(tile);
          const t0 = performance.now();
          run[build]!();
          const ms = (performance.now() - t0) / calls;
          if (round >= 0) best[build][tile] = Math.min(best[build][tile], ms); // round −1 warms up
        }
      }
    }
    for (const build of BUILDS) runtimes[build].kernels.exports.gemmSetTileRows(chosen[build]);
    release.forEach((fn) => fn());
    const percent = (build: KernelBuild, ms: number) => (100 * flops / ms / 1e6) / peaks[build].peak;
    const gflops = Object.fromEntries(BUILDS.map((build) => [build, flops / best[build][chosen[build]] / 1e6])) as Record<KernelBuild, number>;
    const percentOfPeak = Object.fromEntries(BUILDS.map((build) => [build, percent(build, best[build][chosen[build]])])) as Record<KernelBuild, number>;
    const byTile = Object.fromEntries(BUILDS.map((build) => [build, Object.fromEntries(TILES.map((tile) => [tile, percent(build, best[build][tile])]))])) as KernelRow['byTile'];
    rows.push({ shape: shape.label, layout, m, n, k, headline: Boolean(shape.headline), gflops, percentOfPeak, byTile, tileRows: chosen });
    console.log(`kernels ${shape.label}: ${BUILDS.map((build) => `${build} ${gflops[build].toFixed(1)} GFLOP/s (${percentOfPeak[build].toFixed(0)}%; 6×8 ${byTile[build][6].toFixed(0)}%, 4×8 ${byTile[build][4].toFixed(0)}%)`).join(', ')}`);
  }
  return rows;
}

/** The CPU as /proc/cpuinfo names it, and the vector extensions that decide the kernels' speed. */
export function cpuDescription(): { model: string; flags: string } {
  const model = cpus()[0]?.model?.trim() || 'unknown';
  let flags = arch();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
    const have = new Set(line.split(':')[1]?.trim().split(/\s+/));
    flags = ['avx512f', 'avx2', 'fma', 'sse4_2'].filter((flag) => have.has(flag)).join(' ') || flags;
  } catch {
    // Not Linux: the architecture is all we know.
  }
  return { model, flags };
}
