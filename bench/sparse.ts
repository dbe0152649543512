// Dense vs sparse first-layer products (784-100-10, batch 100) across input densities, both
// kernel builds side by side in one process: where the sparse kernels start to lose, what
// compressing MNIST costs, and what the kernels imply for a training step and an evaluation.
// Every time is the best of many interleaved samples (the minimum is the least disturbed by
// other processes on a shared machine).
import {
  chooseFirstLayerPath, CompressedRows, MLP, ResidentDataset, SPARSE_CROSSOVER_DENSITY,
  type KernelBuild, type Mnist, type Runtime,
} from 'simdnet';
import { bestOf } from './timing.js';

export type Product = 'forward' | 'weightGradient';
type Pattern = 'mnist' | 'uniform';
const PRODUCTS: Product[] = ['forward', 'weightGradient'];
const BATCH = 100, INPUTS = 784, HIDDEN = 100;
const STEPS_PER_CALL = 20;
const NARROW = 50; // the 784-50-10 relu network's first layer
const POOL_ROWS = 1000;
const BATCHES = 8; // distinct batches cycled through, so no timing sees one batch's warm caches

export interface SparseResults {
  rounds: number;
  passes: number;
  mnistDensity: number;
  sweep: { pattern: Pattern; density: number; build: KernelBuild; product: Product; denseUs: number; sparseUs: number }[];
  crossover: { pattern: Pattern; build: KernelBuild; product: Product; density: number | null; note: string }[];
  automatic: { build: KernelBuild; product: Product; worstExcessPercent: number; atDensity: number; pattern: Pattern }[];
  compression: {
    build: KernelBuild; rows: number; cols: number; nonzeros: number; density: number; bytes: number; denseBytes: number;
    datasetMs: number; batchUs: number;
  }[];
  atMnist: {
    build: KernelBuild; forwardDenseUs: number; forwardSparseUs: number; gradientDenseUs: number; gradientSparseUs: number;
    stepDenseMs: number; stepSparseMs: number; evalBlockDenseMs: number; evalBlockSparseMs: number;
    /** All 70000 images (training and test sets) evaluated through the network, each path. */
    evalSetDenseMs: number; evalSetSparseMs: number;
    narrow: {
      forwardDenseUs: number; forwardSparseUs: number; gradientDenseUs: number; gradientSparseUs: number;
      /** The 784-50-10 relu network's training step, each path. */
      stepDenseMs: number; stepSparseMs: number;
    };
  }[];
}

/** mulberry32: a small seeded generator, so every run draws the same patterns. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function density(x: Float32Array): number {
  let nonzero = 0;
  for (const v of x) if (v !== 0) nonzero++;
  return nonzero / x.length;
}

/**
 * Real MNIST rows at another density: thinned by dropping nonzero pixels at random, thickened
 * by filling the blank pixels nearest the strokes first (most nonzero pixels in the 5×5 around
 * them), so the pattern stays a digit's clustered one.
 */
function mnistLike(images: Float32Array, target: number, seed: number): Float32Array {
  const random = generator(seed);
  const natural = density(images);
  const out = images.slice();
  if (target <= natural) {
    const keep = target / natural;
    for (let i = 0; i < out.length; i++) if (out[i] !== 0 && random() >= keep) out[i] = 0;
    return out;
  }
  const fill = (target - natural) / (1 - natural);
  for (let row = 0; row < out.length / INPUTS; row++) {
    const image = out.subarray(row * INPUTS, (row + 1) * INPUTS);
    const blanks: { at: number; score: number }[] = [];
    for (let at = 0; at < INPUTS; at++) {
      if (image[at] !== 0) continue;
      const [y, x] = [Math.floor(at / 28), at % 28];
      let score = random();
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
        const [yy, xx] = [y + dy, x + dx];
        if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28 && image[yy * 28 + xx] !== 0) score++;
      }
      blanks.push({ at, score });
    }
    blanks.sort((a, b) => b.score - a.score);
    const count = Math.round(fill * blanks.length);
    for (let i = 0; i < count; i++) image[blanks[i].at] = 1 - random(); // (0, 1]
  }
  return out;
}

function uniform(rows: number, target: number, seed: number): Float32Array {
  const random = generator(seed);
  return Float32Array.from({ length: rows * INPUTS }, () => (random() < target ? 1 - random() : 0));
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  return x.every((v, i) => v === y[i]);
}

/** The four first-layer products of one build on one pool of rows, ready to time. */
function firstLayer(runtime: Runtime, pool: Float32Array, seed: number, hidden = HIDDEN) {
  const { arena } = runtime;
  const ex = runtime.kernels.exports;
  const random = generator(seed);
  const alloc = (values: Float32Array | Int32Array | number) => {
    const at = arena.alloc(typeof values === 'number' ? values : values.byteLength);
    if (typeof values !== 'number') {
      const View = values instanceof Float32Array ? Float32Array : Int32Array;
      new View(arena.memory.buffer, at, values.length).set(values as never);
    }
    return at;
  };
  const blocks: number[] = [];
  const keep = (at: number) => (blocks.push(at), at);
  const poolAt = keep(alloc(pool));
  const csr = new CompressedRows(runtime, poolAt, pool.length / INPUTS, INPUTS);
  const indices: number[] = [], dense: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const rows = Int32Array.from({ length: BATCH }, () => Math.floor(random() * POOL_ROWS));
    const batch = new Float32Array(BATCH * INPUTS);
    rows.forEach((row, r) => batch.set(pool.subarray(row * INPUTS, (row + 1) * INPUTS), r * INPUTS));
    indices.push(keep(alloc(rows)));
    dense.push(keep(alloc(batch)));
  }
  const w = keep(alloc(Float32Array.from({ length: INPUTS * hidden }, () => (random() - 0.5) * 0.1)));
  const dz = keep(alloc(Float32Array.from({ length: BATCH * hidden }, () => (random() - 0.5) * 0.01)));
  const c = [keep(alloc(BATCH * hidden * 4)), keep(alloc(BATCH * hidden * 4))];
  const dw = [keep(alloc(INPUTS * hidden * 4)), keep(alloc(INPUTS * hidden * 4))];
  const scratch = keep(alloc(ex.csrGemmTNScratchBytes(INPUTS, BATCH)));
  let next = 0;
  const cycle = () => (next = (next + 1) % BATCHES);
  const tasks = {
    forward: {
      dense: () => ex.gemmNN(c[0], dense[cycle()], w, BATCH, hidden, INPUTS, false),
      sparse: () => ex.csrGemmNNGathered(c[1], csr.offset, indices[cycle()], BATCH, w, hidden, false),
    },
    weightGradient: {
      dense: () => ex.gemmTN(dw[0], dense[cycle()], dz, INPUTS, hidden, BATCH, false),
      sparse: () => ex.csrGemmTNGathered(dw[1], csr.offset, indices[cycle()], BATCH, dz, hidden, false, scratch),
    },
  };
  // The bench times what the tests prove: check the bits once on this pattern.
  const read = (at: number, n: number) => new Float32Array(arena.memory.buffer, at, n).slice();
  ex.gemmNN(c[0], dense[0], w, BATCH, hidden, INPUTS, false);
  ex.csrGemmNNGathered(c[1], csr.offset, indices[0], BATCH, w, hidden, false);
  ex.gemmTN(dw[0], dense[0], dz, INPUTS, hidden, BATCH, false);
  ex.csrGemmTNGathered(dw[1], csr.offset, indices[0], BATCH, dz, hidden, false, scratch);
  if (!sameBits(read(c[0], BATCH * hidden), read(c[1], BATCH * hidden)) || !sameBits(read(dw[0], INPUTS * hidden), read(dw[1], INPUTS * hidden))) {
    throw new Error(`${runtime.kernels.build}: sparse and dense products differ`);
  }
  const compressBatch = () => {
    const bytes = ex.csrByteSize(dense[0], BATCH, INPUTS);
    if (bytes > ex.csrGemmTNScratchBytes(INPUTS, BATCH)) throw new Error('batch block larger than its bound');
    ex.csrCompress(scratch, dense[0], BATCH, INPUTS);
  };
  return {
    tasks, compressBatch,
    dispose: () => {
      csr.dispose();
      blocks.forEach((at) => arena.release(at));
    },
  };
}

/** Linear interpolation of where sparse/dense crosses 1 along the sweep. */
function crossover(points: { density: number; ratio: number }[]): { density: number | null; note: string } {
  if (points[0].ratio >= 1) return { density: points[0].density, note: `sparse slower already at ${pct(points[0].density)}` };
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (b.ratio >= 1) {
      const d = a.density + ((1 - a.ratio) * (b.density - a.density)) / (b.ratio - a.ratio);
      return { density: d, note: `between ${pct(a.density)} (${a.ratio.toFixed(2)}) and ${pct(b.density)} (${b.ratio.toFixed(2)})` };
    }
  }
  const last = points[points.length - 1];
  return { density: null, note: `sparse faster at every density (${last.ratio.toFixed(2)} at ${pct(last.density)})` };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export async function benchSparse(runtimes: Record<KernelBuild, Runtime>, mnist: Mnist, quick: boolean): Promise<SparseResults> {
  const builds = Object.keys(runtimes) as KernelBuild[];
  const rounds = quick ? 7 : 12;
  const images = mnist.train.images.subarray(0, POOL_ROWS * INPUTS);
  const mnistDensity = density(images);
  // Every 2 points where the crossovers lie (48–66%), so the automatic choice is checked where a
  // wrong pick costs most.
  const targets = quick
    ? [0.02, 0.1, 0.3, 0.5, 0.7, 1]
    : [0.02, 0.05, 0.1, 0.15, 0.25, 0.3, 0.35, 0.4, 0.45, 0.48, 0.5, 0.52, 0.54, 0.56, 0.58, 0.6, 0.62, 0.64, 0.66, 0.7, 0.8, 0.9, 1];
  const densities = [...targets, mnistDensity].sort((a, b) => a - b);
  // The sweep runs `passes` times and keeps each kernel's best: a burst of other load on the
  // machine then spoils one pass of a density, not its result.
  const passes = quick ? 1 : 3;
  const points = (['mnist', 'uniform'] as Pattern[]).flatMap((pattern) => densities.map((target, i) => {
    const pool = pattern === 'mnist' ? mnistLike(images, target, 100 + i) : uniform(POOL_ROWS, target, 200 + i);
    return { pattern, pool, density: density(pool), seed: 300 + i, best: {} as Record<string, number> };
  }));
  for (let pass = 0; pass < passes; pass++) {
    for (const point of points) {
      const setups = builds.map((build) => ({ build, setup: firstLayer(runtimes[build], point.pool, point.seed) }));
      const tasks: Record<string, () => void> = {};
      for (const { build, setup } of setups) {
        for (const product of PRODUCTS) {
          tasks[`${build} ${product} dense`] = setup.tasks[product].dense;
          tasks[`${build} ${product} sparse`] = setup.tasks[product].sparse;
        }
      }
      const us = bestOf(tasks, rounds);
      setups.forEach(({ setup }) => setup.dispose());
      for (const [name, t] of Object.entries(us)) point.best[name] = Math.min(point.best[name] ?? Infinity, t);
    }
  }
  const sweep: SparseResults['sweep'] = [];
  for (const { pattern, density: actual, best } of points) {
    for (const build of builds) {
      for (const product of PRODUCTS) {
        const row = { pattern, density: actual, build, product, denseUs: best[`${build} ${product} dense`], sparseUs: best[`${build} ${product} sparse`] };
        sweep.push(row);
        console.log(`sparse sweep ${pattern} ${pct(actual)} ${build} ${product}: dense ${row.denseUs.toFixed(1)} µs, sparse ${row.sparseUs.toFixed(1)} µs (${(row.denseUs / row.sparseUs).toFixed(2)}×)`);
      }
    }
  }

  const crossovers: SparseResults['crossover'] = [];
  const automatic: SparseResults['automatic'] = [];
  for (const pattern of ['mnist', 'uniform'] as Pattern[]) {
    for (const build of builds) {
      for (const product of PRODUCTS) {
        const rows = sweep.filter((r) => r.pattern === pattern && r.build === build && r.product === product);
        crossovers.push({ pattern, build, product, ...crossover(rows.map((r) => ({ density: r.density, ratio: r.sparseUs / r.denseUs }))) });
        // The automatic choice with the constants in src/sparse-choice.ts, against the better path.
        let worst = { excess: -Infinity, density: 0 };
        for (const r of rows) {
          const chosen = chooseFirstLayerPath(r.density, build, product) === 'sparse' ? r.sparseUs : r.denseUs;
          const excess = 100 * (chosen / Math.min(r.denseUs, r.sparseUs) - 1);
          if (excess > worst.excess) worst = { excess, density: r.density };
        }
        automatic.push({ build, product, pattern, worstExcessPercent: worst.excess, atDensity: worst.density });
      }
    }
  }
  for (const c of crossovers) console.log(`crossover ${c.pattern} ${c.build} ${c.product}: ${c.density === null ? 'none' : pct(c.density)} (${c.note})`);

  // All 70000 MNIST images (the training and test sets, as a training run's evaluations read
  // them) compressed once, and one 100-row batch compressed on its own.
  const all: Mnist['train'] = {
    ...mnist.train,
    images: new Float32Array(mnist.train.images.length + mnist.test.images.length),
    labels: new Uint8Array(mnist.train.count + mnist.test.count),
    count: mnist.train.count + mnist.test.count,
  };
  all.images.set(mnist.train.images);
  all.images.set(mnist.test.images, mnist.train.images.length);
  all.labels.set(mnist.train.labels);
  all.labels.set(mnist.test.labels, mnist.train.count);
  const compression: SparseResults['compression'] = [];
  const atMnist: SparseResults['atMnist'] = [];
  for (const build of builds) {
    const runtime = runtimes[build];
    const data = new ResidentDataset({ runtime, inputSize: INPUTS, outputSize: 10, lossKind: 'softmax-cross-entropy' }, all);
    let datasetMs = Infinity;
    let csr: CompressedRows | undefined;
    for (let trial = 0; trial < (quick ? 2 : 5); trial++) {
      csr?.dispose();
      const t0 = performance.now();
      csr = new CompressedRows(runtime, data.inputs, data.count, INPUTS);
      datasetMs = Math.min(datasetMs, performance.now() - t0);
    }
    const layer = firstLayer(runtime, images, 7);
    const narrow = firstLayer(runtime, images, 8, NARROW);
    const ex = runtime.kernels.exports;
    const evalRows = 10000;
    const [c, w] = [runtime.arena.alloc(evalRows * HIDDEN * 4), runtime.arena.alloc(INPUTS * HIDDEN * 4)];
    const net = new MLP(runtime, { sizes: [INPUTS, HIDDEN, 10], activation: 'sigmoid', seed: 1 });
    const narrowNet = new MLP(runtime, { sizes: [INPUTS, NARROW, 10], activation: 'relu', init: 'he', seed: 1 });
    net.ensureRows(BATCH);
    narrowNet.ensureRows(BATCH);
    csr!.gradientScratch(BATCH);
    let cursor = 0;
    // STEPS_PER_CALL steps back to back, as training runs them (one step alone between the other
    // kernels' samples starts with their data in the caches instead of its own).
    const steps = (network: MLP, rate: number, sparse?: CompressedRows) => () => {
      for (let s = 0; s < STEPS_PER_CALL; s++) {
        const batchIndices = network.batchIndices();
        for (let r = 0; r < BATCH; r++) batchIndices[r] = (cursor = (cursor + 7919) % data.count);
        network.trainStepResident(data.inputs, data.targets, BATCH, rate, sparse);
      }
    };
    const us = bestOf({
      compressBatch: layer.compressBatch,
      forwardDense: layer.tasks.forward.dense,
      forwardSparse: layer.tasks.forward.sparse,
      gradientDense: layer.tasks.weightGradient.dense,
      gradientSparse: layer.tasks.weightGradient.sparse,
      narrowForwardDense: narrow.tasks.forward.dense,
      narrowForwardSparse: narrow.tasks.forward.sparse,
      narrowGradientDense: narrow.tasks.weightGradient.dense,
      narrowGradientSparse: narrow.tasks.weightGradient.sparse,
      step: steps(net, 0.1),
      stepSparse: steps(net, 0.1, csr),
      narrowStep: steps(narrowNet, 0.01),
      narrowStepSparse: steps(narrowNet, 0.01, csr),
      evalDense: () => ex.gemmNN(c, data.inputs, w, evalRows, HIDDEN, INPUTS, false),
      evalSparse: () => ex.csrGemmNN(c, csr!.offset, 0, evalRows, w, HIDDEN, false),
    }, quick ? 9 : 25);
    // The whole set through the network's evaluation, in its blocks, each path, interleaved: best of 7
    // (an evaluation takes a few hundred ms, so on a shared machine most trials meet other work).
    let evalSetDenseMs = Infinity, evalSetSparseMs = Infinity;
    for (let trial = 0; trial < (quick ? 1 : 7); trial++) {
      let t0 = performance.now();
      net.evaluateResident(data.inputs, data.targets, data.count);
      evalSetDenseMs = Math.min(evalSetDenseMs, performance.now() - t0);
      t0 = performance.now();
      net.evaluateResident(data.inputs, data.targets, data.count, csr);
      evalSetSparseMs = Math.min(evalSetSparseMs, performance.now() - t0);
    }
    compression.push({
      build, rows: data.count, cols: INPUTS, nonzeros: csr!.nonzeros, density: csr!.density, bytes: csr!.bytes,
      denseBytes: data.count * INPUTS * 4, datasetMs, batchUs: us.compressBatch,
    });
    atMnist.push({
      build, forwardDenseUs: us.forwardDense, forwardSparseUs: us.forwardSparse, gradientDenseUs: us.gradientDense,
      gradientSparseUs: us.gradientSparse, stepDenseMs: us.step / STEPS_PER_CALL / 1000, stepSparseMs: us.stepSparse / STEPS_PER_CALL / 1000,
      evalBlockDenseMs: us.evalDense / 1000, evalBlockSparseMs: us.evalSparse / 1000, evalSetDenseMs, evalSetSparseMs,
      narrow: {
        forwardDenseUs: us.narrowForwardDense, forwardSparseUs: us.narrowForwardSparse,
        gradientDenseUs: us.narrowGradientDense, gradientSparseUs: us.narrowGradientSparse,
        stepDenseMs: us.narrowStep / STEPS_PER_CALL / 1000, stepSparseMs: us.narrowStepSparse / STEPS_PER_CALL / 1000,
      },
    });
    const m = atMnist[atMnist.length - 1];
    console.log(`MNIST ${build}: compress ${data.count} rows ${datasetMs.toFixed(1)} ms (${csr!.bytes} bytes), one batch ${us.compressBatch.toFixed(1)} µs; forward ${(m.forwardDenseUs / m.forwardSparseUs).toFixed(2)}×, weight gradient ${(m.gradientDenseUs / m.gradientSparseUs).toFixed(2)}×; step ${m.stepDenseMs.toFixed(3)} → ${m.stepSparseMs.toFixed(3)} ms (${(m.stepDenseMs / m.stepSparseMs).toFixed(2)}×), 784-${NARROW}-10 relu step ${m.narrow.stepDenseMs.toFixed(3)} → ${m.narrow.stepSparseMs.toFixed(3)} ms (${(m.narrow.stepDenseMs / m.narrow.stepSparseMs).toFixed(2)}×); 10000-row forward ${m.evalBlockDenseMs.toFixed(2)} → ${m.evalBlockSparseMs.toFixed(2)} ms; ${data.count}-image evaluation ${evalSetDenseMs.toFixed(0)} → ${evalSetSparseMs.toFixed(0)} ms (${(evalSetDenseMs / evalSetSparseMs).toFixed(2)}×)`);
    net.dispose();
    narrowNet.dispose();
    runtime.arena.release(c);
    runtime.arena.release(w);
    layer.dispose();
    narrow.dispose();
    csr!.dispose();
    data.dispose();
  }
  return { rounds, passes, mnistDensity, sweep, crossover: crossovers, automatic, compression, atMnist };
}

const f1 = (v: number) => v.toFixed(1);

export function renderSparseMarkdown(r: SparseResults, context: string): string {
  const lines: string[] = [];
  lines.push('## Sparse first layer: dense vs sparse products by input density', '');
  lines.push(`${context} Batch 100 gathered from a pool of ${POOL_ROWS} rows compressed once; forward (100×784)·(784×100), weight gradient (100×784)ᵀ·(100×100). Best of ${r.passes} passes over the sweep × ${r.rounds} interleaved samples per kernel (the machine was shared with other jobs, so single samples were noisy; the minimum is the least disturbed). "mnist" rows are real MNIST training images (natural density ${pct(r.mnistDensity)}), thinned at random or thickened next to their strokes; "uniform" rows have independent random nonzeros.`, '');
  const builds = [...new Set(r.sweep.map((s) => s.build))];
  for (const pattern of ['mnist', 'uniform'] as Pattern[]) {
    lines.push(`### ${pattern} patterns (µs per call; dense/sparse speed-up)`, '');
    const header = builds.flatMap((b) => PRODUCTS.map((p) => `${b} ${p}`));
    lines.push(`| density | ${header.join(' | ')} |`, `| --- | ${header.map(() => '---').join(' | ')} |`);
    const densities = [...new Set(r.sweep.filter((s) => s.pattern === pattern).map((s) => s.density))];
    for (const d of densities) {
      const cells = builds.flatMap((b) => PRODUCTS.map((p) => {
        const s = r.sweep.find((x) => x.pattern === pattern && x.density === d && x.build === b && x.product === p)!;
        return `${f1(s.denseUs)} / ${f1(s.sparseUs)} (${(s.denseUs / s.sparseUs).toFixed(2)}×)`;
      }));
      lines.push(`| ${pct(d)} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push('### Crossover density (sparse no longer faster)', '');
  lines.push('| pattern | build | product | crossover | where |', '| --- | --- | --- | --- | --- |');
  for (const c of r.crossover) lines.push(`| ${c.pattern} | ${c.build} | ${c.product} | ${c.density === null ? 'none' : pct(c.density)} | ${c.note} |`);
  lines.push('', `Automatic choice (src/sparse-choice.ts: ${Object.entries(SPARSE_CROSSOVER_DENSITY).map(([b, c]) => `${b} forward < ${pct(c.forward)}, weight gradient < ${pct(c.weightGradient)}`).join('; ')}) against the better of the two paths at each sweep density:`, '');
  lines.push('| pattern | build | product | worst excess over the better path | at density |', '| --- | --- | --- | --- | --- |');
  for (const a of r.automatic) lines.push(`| ${a.pattern} | ${a.build} | ${a.product} | ${a.worstExcessPercent.toFixed(1)}% | ${pct(a.atDensity)} |`);
  lines.push('', '### Compression of all 70000 MNIST images (70000×784) and the products at their density', '');
  lines.push('| build | nonzeros | density | compressed bytes | dense bytes | compress once (ms) | compress one batch of 100 (µs) |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const c of r.compression) lines.push(`| ${c.build} | ${c.nonzeros} | ${pct(c.density)} | ${c.bytes} (${(c.bytes / 2 ** 20).toFixed(1)} MiB, ${(100 * c.bytes / c.denseBytes).toFixed(0)}% of dense) | ${c.denseBytes} | ${f1(c.datasetMs)} | ${f1(c.batchUs)} |`);
  lines.push('');
  lines.push('| build | forward dense → sparse (µs) | weight gradient dense → sparse (µs) | 784-100-10 sigmoid step, dense → sparse first layer (ms) | forward of a 10000-row evaluation block dense → sparse (ms) | evaluation of all 70000 images dense → sparse (ms) |', '| --- | --- | --- | --- | --- | --- |');
  for (const m of r.atMnist) {
    lines.push(`| ${m.build} | ${f1(m.forwardDenseUs)} → ${f1(m.forwardSparseUs)} (${(m.forwardDenseUs / m.forwardSparseUs).toFixed(2)}×) | ${f1(m.gradientDenseUs)} → ${f1(m.gradientSparseUs)} (${(m.gradientDenseUs / m.gradientSparseUs).toFixed(2)}×) | ${m.stepDenseMs.toFixed(3)} → ${m.stepSparseMs.toFixed(3)} (${(m.stepDenseMs / m.stepSparseMs).toFixed(2)}×) | ${m.evalBlockDenseMs.toFixed(2)} → ${m.evalBlockSparseMs.toFixed(2)} (${(m.evalBlockDenseMs / m.evalBlockSparseMs).toFixed(2)}×) | ${m.evalSetDenseMs.toFixed(0)} → ${m.evalSetSparseMs.toFixed(0)} (${(m.evalSetDenseMs / m.evalSetSparseMs).toFixed(2)}×) |`);
  }
  lines.push('', `The 784-${NARROW}-10 relu network's first layer at the same density, and its training step:`, '');
  lines.push('| build | forward dense → sparse (µs) | weight gradient dense → sparse (µs) | step dense → sparse first layer (ms) |', '| --- | --- | --- | --- |');
  for (const m of r.atMnist) {
    const n = m.narrow;
    const step = `${n.stepDenseMs.toFixed(3)} → ${n.stepSparseMs.toFixed(3)} (${(n.stepDenseMs / n.stepSparseMs).toFixed(2)}×)`;
    lines.push(`| ${m.build} | ${f1(n.forwardDenseUs)} → ${f1(n.forwardSparseUs)} (${(n.forwardDenseUs / n.forwardSparseUs).toFixed(2)}×) | ${f1(n.gradientDenseUs)} → ${f1(n.gradientSparseUs)} (${(n.gradientDenseUs / n.gradientSparseUs).toFixed(2)}×) | ${step} |`);
  }
  lines.push('', 'Both steps and both evaluations run through the network (trainStepResident, evaluateResident), the sparse ones with the training set compressed once; they give the same bits (test/sparse-engine.test.ts).');
  return lines.join('\n') + '\n';
}
