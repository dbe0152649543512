// The kernels against the machine's ceiling: each dense product the networks run, on both
// builds, as GFLOP/s and % of the build's measured peak. The machines these run on are shared
// and noisy, so each product is timed in interleaved rounds (bench/timing.ts) and the best round
// counts: a disturbance only ever makes a round slower. `npm run bench:kernels` runs
// this alone and records the CPU's row in bench/cpus.json, the history by CPU that RESULTS.md
// shows; `npm run bench` runs it as part of the whole suite.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelBuild, Runtime } from 'simdnet';
import { bestOf } from './timing.js';

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

/**
 * A build's ceiling: the best of its madd loops and, where a product ran faster still (V8 13 runs
 * plain SIMD's mul+add loops below what its GEMM reaches), the fastest product: a ceiling is at
 * least what some code reached.
 */
export interface Peak { chained: number; accumulate: number; products?: number; peak: number }

/** The register-only madd loops of assembly/peak.ts and their flops per iteration. */
export const PEAK_LOOPS = [
  { shape: 'chained', name: 'simdPeakChained', flops: 96 },
  { shape: 'chained', name: 'simdPeakChainedRuntime', flops: 96 },
  { shape: 'accumulate', name: 'simdPeakAccumulate', flops: 80 },
  { shape: 'accumulate', name: 'simdPeakAccumulateRuntime', flops: 80 },
] as const;

/** sha256 (16 hex digits) of the two benched builds' binaries: which kernels a record measured. */
export function kernelsHash(): string {
  const hash = createHash('sha256');
  const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'build');
  for (const build of BUILDS) hash.update(readFileSync(join(buildDir, `${build}.wasm`)));
  return hash.digest('hex').slice(0, 16);
}

/** A peak loop's iterations per call: about 0.1 ms. */
const PEAK_CALL_ITERATIONS = 1 << 16;

/**
 * Milliseconds per timed sample of a kernel. On AMD EPYC under KVM, whose speed swings from one
 * sample to the next, 2 ms samples caught the 100×784×100 product at 41–49 GFLOP/s in 30 rounds;
 * its best single calls (0.3 ms) ran at 49–53 in most half-seconds (Node 20–26).
 */
export const KERNEL_SAMPLE_MS = 0.2;

/** Interleaved rounds of those samples: a full run (about a minute and a half on a Zen 4) and a --quick one. */
export const KERNEL_ROUNDS = { full: 300, quick: 30 };

/** The build's ceiling: the best of its register-only madd loops (assembly/peak.ts). */
export function measurePeak(runtime: Runtime, trials = 500): Peak {
  const { exports } = runtime.kernels;
  const best = { chained: 0, accumulate: 0 };
  for (const loop of PEAK_LOOPS) {
    const fn = exports[loop.name];
    // Short calls first, so the engine's optimizing tier replaces the baseline code (a wasm
    // function in V8 changes tier between calls, never inside a long one).
    for (let call = 0; call < 50; call++) fn(1 << 14);
    // Many short trials, not a few long ones: on a shared core a 0.3 s call nearly always holds
    // a disturbance (AMD EPYC under KVM: 7 calls of 2^24 iterations peaked at 55.6 GFLOP/s,
    // the best of 500 calls of 0.15 ms at 59.1).
    for (let trial = 0; trial < trials; trial++) {
      const t0 = performance.now();
      fn(PEAK_CALL_ITERATIONS);
      best[loop.shape] = Math.max(best[loop.shape], (PEAK_CALL_ITERATIONS * loop.flops) / ((performance.now() - t0) / 1000) / 1e9);
    }
  }
  return { ...best, peak: Math.max(best.chained, best.accumulate) };
}

/** The register tiles a layout can run (assembly/gemm.ts gemmSetTiles): 5×8 needs adjacent rows. */
export const TILES = { NN: [6, 4], TN: [6, 5, 4] } as const;

export interface KernelRow {
  shape: string; layout: string; m: number; n: number; k: number; headline: boolean;
  /** As the runtime chose to run the layout: its register tile (gemmTileRows), packed or not (packs). */
  gflops: Record<KernelBuild, number>; percentOfPeak: Record<KernelBuild, number>;
  /** GFLOP/s and % of peak with each of the layout's TILES, unpacked, e.g. byTile['relaxed-simd'][6]. */
  gflopsByTile: Record<KernelBuild, Record<number, number>>;
  byTile: Record<KernelBuild, Record<number, number>>;
  /** The tile the runtime runs the layout with: for a packed NN, the adjacent tile. */
  tileRows: Record<KernelBuild, number>;
  /**
   * Whether the runtime packs A's row blocks for this shape (gemmPacks, and gemm.ts's gates), and
   * GFLOP/s and % of peak packed, with the tile packing runs: absent where the gates keep the
   * shape unpacked, and from older records.
   */
  packs?: Record<KernelBuild, boolean>;
  gflopsPacked?: Record<KernelBuild, number>;
  packed?: Record<KernelBuild, number>;
}

/**
 * Best-of-`rounds` GFLOP/s of every shape on both builds and with each register tile its layout
 * can run (the runtime picks at start-up, src/gemm-tile.ts), all interleaved (timing.ts) with the
 * madd loops. Raises `peaks` to the loops' best sample and to the fastest product where that beat
 * them (see Peak).
 */
export function benchKernels(runtimes: Record<KernelBuild, Runtime>, peaks: Record<KernelBuild, Peak>, rounds: number): KernelRow[] {
  const rows: KernelRow[] = [];
  const startTiles = Object.fromEntries(BUILDS.map((build) => {
    const { gemmTileRows, gemmPacks } = runtimes[build].kernels.exports;
    return [build, { strided: gemmTileRows(false), adjacent: gemmTileRows(true), packStrided: gemmPacks(false) !== 0, packAdjacent: gemmPacks(true) !== 0 }];
  })) as Record<KernelBuild, { strided: number; adjacent: number; packStrided: boolean; packAdjacent: boolean }>;
  const restore = (build: KernelBuild) => {
    const { gemmSetTiles, gemmSetPacking } = runtimes[build].kernels.exports;
    const { strided, adjacent, packStrided, packAdjacent } = startTiles[build];
    gemmSetTiles(strided, adjacent);
    gemmSetPacking(packStrided, packAdjacent);
  };
  for (const shape of KERNEL_SHAPES) {
    const { layout, m, n, k } = shape;
    const tiles = TILES[layout];
    const flops = 2 * m * n * k;
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
    const tasks: Record<string, () => void> = {};
    const release: (() => void)[] = [];
    for (const build of BUILDS) {
      const { arena, kernels } = runtimes[build];
      const [aAt, bAt, cAt] = [a.length, b.length, m * n].map((length) => arena.alloc(length * 4));
      new Float32Array(arena.memory.buffer, aAt, a.length).set(a);
      new Float32Array(arena.memory.buffer, bAt, b.length).set(b);
      const { gemmSetTiles, gemmSetPacking } = kernels.exports;
      const { strided, adjacent } = startTiles[build];
      const gemm = layout === 'NN' ? kernels.exports.gemmNN : kernels.exports.gemmTN;
      const setTile = layout === 'NN' ? (tile: number) => gemmSetTiles(tile, adjacent) : (tile: number) => gemmSetTiles(strided, tile);
      const setPacking = layout === 'NN' ? (pack: boolean) => gemmSetPacking(pack, false) : (pack: boolean) => gemmSetPacking(false, pack);
      for (const tile of tiles) tasks[`${build} ${tile}`] = () => { setTile(tile); setPacking(false); gemm(cAt, aAt, bAt, m, n, k, false); };
      const packed = () => { gemmSetTiles(strided, adjacent); setPacking(true); gemm(cAt, aAt, bAt, m, n, k, false); };
      // Where gemm.ts's gates keep this shape unpacked, "packed" would time the unpacked code.
      kernels.exports.gemmTakePackedRowBlocks();
      packed();
      if (kernels.exports.gemmTakePackedRowBlocks() > 0) tasks[`${build} packed`] = packed;
      release.push(() => [aAt, bAt, cAt].forEach((at) => arena.release(at)));
      // The madd loops sampled in the same rounds: on a shared virtual core speed swings by up to
      // 1.7× within seconds (AMD EPYC under KVM: 60 samples of one product, 28–47 GFLOP/s), so the
      // ceiling and the products are each the best of the same moments.
      for (const loop of PEAK_LOOPS) tasks[`${build} peak ${loop.name}`] = () => kernels.exports[loop.name](PEAK_CALL_ITERATIONS);
    }
    // A product of more flops than the 100×784×100 forward gets proportionally fewer rounds (at
    // least 30): each of its calls already spans many of the core's quiet and busy moments.
    const shapeRounds = Math.max(Math.min(rounds, 30), Math.round(rounds * Math.min(1, (2 * 100 * 784 * 100) / flops)));
    const us = bestOf(tasks, shapeRounds, KERNEL_SAMPLE_MS);
    for (const build of BUILDS) {
      for (const loop of PEAK_LOOPS) {
        const gflops = (PEAK_CALL_ITERATIONS * loop.flops) / us[`${build} peak ${loop.name}`] / 1e3;
        peaks[build][loop.shape] = Math.max(peaks[build][loop.shape], gflops);
      }
    }
    for (const build of BUILDS) restore(build);
    release.forEach((fn) => fn());
    const best = Object.fromEntries(BUILDS.map((build) => [build, Object.fromEntries(tiles.map((tile) => [tile, us[`${build} ${tile}`] / 1000]))])) as Record<KernelBuild, Record<number, number>>;
    const gflopsOf = (ms: number) => flops / ms / 1e6;
    const gflopsByTile = Object.fromEntries(BUILDS.map((build) => [build, Object.fromEntries(tiles.map((tile) => [tile, gflopsOf(best[build][tile])]))])) as KernelRow['gflopsByTile'];
    const applies = `${BUILDS[0]} packed` in tasks; // the gates are the same in both builds
    const gflopsPacked = applies ? Object.fromEntries(BUILDS.map((build) => [build, gflopsOf(us[`${build} packed`] / 1000)])) as Record<KernelBuild, number> : undefined;
    const packs = Object.fromEntries(BUILDS.map((build) => [build, applies && (layout === 'TN' ? startTiles[build].packAdjacent : startTiles[build].packStrided)])) as Record<KernelBuild, boolean>;
    // Packed, either layout runs the adjacent tile.
    const chosen = Object.fromEntries(BUILDS.map((build) => [build, layout === 'TN' || packs[build] ? startTiles[build].adjacent : startTiles[build].strided])) as Record<KernelBuild, number>;
    rows.push({
      shape: shape.label, layout, m, n, k, headline: Boolean(shape.headline), gflops: { simd: 0, 'relaxed-simd': 0 }, gflopsByTile, tileRows: chosen,
      percentOfPeak: { simd: 0, 'relaxed-simd': 0 }, byTile: { simd: {}, 'relaxed-simd': {} }, packs, gflopsPacked,
    });
  }
  againstPeaks(rows, peaks);
  for (const row of rows) {
    const byTile = (build: KernelBuild) => Object.entries(row.byTile[build]).sort(([a], [b]) => Number(b) - Number(a)).map(([tile, percent]) => `${tile}×8 ${percent.toFixed(0)}%`)
      .concat(row.packed ? [`packed ${row.packed[build].toFixed(0)}%`] : []).join(', ');
    console.log(`kernels ${row.shape}: ${BUILDS.map((build) => `${build} ${row.gflops[build].toFixed(1)} GFLOP/s (${row.percentOfPeak[build].toFixed(0)}% with ${row.tileRows[build]}×8${row.packs![build] ? ' packed' : ''}; ${byTile(build)})`).join(', ')}`);
  }
  return rows;
}

/**
 * Raises each build's peak to its fastest product where that beat the madd loops (see Peak), and
 * sets every row's % of peak from its GFLOP/s.
 */
export function againstPeaks(rows: KernelRow[], peaks: Record<KernelBuild, Peak>): void {
  for (const build of BUILDS) {
    const products = Math.max(...rows.flatMap((row) => [...Object.values(row.gflopsByTile[build]), row.gflopsPacked?.[build] ?? 0]));
    peaks[build].products = products;
    peaks[build].peak = Math.max(peaks[build].chained, peaks[build].accumulate, products);
  }
  for (const row of rows) {
    for (const build of BUILDS) {
      row.gflops[build] = row.packs?.[build] ? row.gflopsPacked![build] : row.gflopsByTile[build][row.tileRows[build]];
      row.percentOfPeak[build] = (100 * row.gflops[build]) / peaks[build].peak;
      row.byTile[build] = Object.fromEntries(TILES[row.layout as 'NN' | 'TN'].map((tile) => [tile, (100 * row.gflopsByTile[build][tile]) / peaks[build].peak]));
      if (row.gflopsPacked) (row.packed ??= { simd: 0, 'relaxed-simd': 0 })[build] = (100 * row.gflopsPacked[build]) / peaks[build].peak;
    }
  }
}

/** The element-wise activations over one 100×100 hidden layer (the 784-100-10 step's), µs per call. */
export interface ActivationRow { kernel: string; us: Record<KernelBuild, number> }

export const ACTIVATION_KERNELS = ['sigmoidForward', 'tanhForward', 'reluForward', 'sigmoidBackward'] as const;

/**
 * Best-of-`rounds` µs of each activation kernel over 10000 floats on both builds, interleaved:
 * their formulas' constants are what V8 versions compile differently (assembly/simd.ts, EXP4).
 */
export function benchActivations(runtimes: Record<KernelBuild, Runtime>, rounds: number): ActivationRow[] {
  const count = 10000;
  const x = Float32Array.from({ length: count }, (_, i) => 3 * Math.sin(i));
  const tasks: Record<string, () => void> = {};
  const release: (() => void)[] = [];
  for (const build of BUILDS) {
    const { arena, kernels } = runtimes[build];
    const [xAt, yAt, hAt] = [0, 1, 2].map(() => arena.alloc(count * 4));
    new Float32Array(arena.memory.buffer, xAt, count).set(x);
    new Float32Array(arena.memory.buffer, hAt, count).fill(0.3);
    const exports = kernels.exports as unknown as Record<(typeof ACTIVATION_KERNELS)[number], (...args: number[]) => void>;
    // Backward kernels read the forward output h too: (dx, dy, h, count).
    for (const kernel of ACTIVATION_KERNELS) {
      tasks[`${build} ${kernel}`] = kernel.endsWith('Backward') ? () => exports[kernel](yAt, xAt, hAt, count) : () => exports[kernel](yAt, xAt, count);
    }
    release.push(() => [xAt, yAt, hAt].forEach((at) => arena.release(at)));
  }
  const us = bestOf(tasks, rounds, KERNEL_SAMPLE_MS);
  release.forEach((fn) => fn());
  const rows = ACTIVATION_KERNELS.map((kernel) => ({
    kernel, us: Object.fromEntries(BUILDS.map((build) => [build, us[`${build} ${kernel}`]])) as Record<KernelBuild, number>,
  }));
  for (const row of rows) console.log(`activation ${row.kernel} over 100×100 floats: ${BUILDS.map((build) => `${build} ${row.us[build].toFixed(1)} µs`).join(', ')}`);
  return rows;
}

/**
 * The CPU as /proc/cpuinfo names it, its family and model numbers (a cloud's "AMD EPYC" names
 * Zen 3 and Zen 4 alike: family 25 model 1 is Zen 3, model 17 Zen 4), and the vector extensions
 * that decide the kernels' speed.
 */
export function cpuDescription(): { model: string; cpuid?: string; flags: string } {
  const model = cpus()[0]?.model?.trim() || 'unknown';
  let flags = arch();
  let cpuid: string | undefined;
  try {
    const lines = readFileSync('/proc/cpuinfo', 'utf8').split('\n');
    const field = (name: string) => lines.find((l) => l.split(':')[0].trim() === name)?.split(':')[1]?.trim();
    const have = new Set(field('flags')?.split(/\s+/));
    flags = ['avx512f', 'avx2', 'fma', 'sse4_2'].filter((flag) => have.has(flag)).join(' ') || flags;
    if (field('cpu family') && field('model')) cpuid = `family ${field('cpu family')} model ${field('model')}`;
  } catch {
    // Not Linux: the architecture is all we know.
  }
  return { model, cpuid, flags };
}

/** "AMD EPYC (family 25 model 17) (avx512f avx2 fma sse4_2)": the CPU as the reports name it. */
export function cpuLabel({ model, cpuid, flags }: ReturnType<typeof cpuDescription>): string {
  return `${model}${cpuid ? ` (${cpuid})` : ''} (${flags})`;
}
