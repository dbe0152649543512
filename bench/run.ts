// simdnet's benchmark suite: `npm run bench`. Everything is measured side by side in this one
// process on one core: the machine's wasm SIMD peak, each GEMM layout on the networks' shapes
// (simdnet's two builds, a naive TypeScript loop, TensorFlow.js wasm), the training step against
// tfjs, scaling with batch and width, the classic protocol end to end (sparse and dense first layer), the full numerical
// gradient, a training step by the numerical gradient against backprop, heap growth over 10000
// steps, dense vs sparse first-layer products by input density (bench/sparse.ts), and the
// convolutions and the LeNet-5 step against tfjs (bench/conv.ts). Writes bench/results.json, bench/RESULTS.md and
// bench/scaling.svg.
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import {
  accuracyChartSvg, createRuntime, loadMnist, MLP, ResidentDataset, train, TwoLayerNet, writeFileAtomic,
  type KernelBuild, type Runtime,
} from 'simdnet';
import { recordCpu } from './cpu-history.js';
import { benchKernels, cpuDescription, cpuLabel, KERNEL_ROUNDS, kernelsHash, measurePeak } from './kernels.js';
import { benchConv } from './conv.js';
import { benchNumericalTraining } from './numerical-training.js';
import { initTfjs, naiveGemm, tfjsGemm, tfjsTrainer, type Layout } from './peers.js';
import { renderMarkdown, type Results } from './report.js';
import { benchSparse } from './sparse.js';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'bench');
const quick = process.argv.includes('--quick');
const BUILDS: KernelBuild[] = ['simd', 'relaxed-simd'];

/** Median milliseconds per call of each function, timed by tinybench. */
async function median(tasks: Record<string, () => void>, timeMs = quick ? 150 : 600): Promise<Record<string, number>> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs), iterations: 3 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    out[task.name] = result.latency.p50;
  }
  return out;
}

interface GemmShape {
  label: string;
  layout: Layout;
  m: number;
  n: number;
  k: number;
}

const SHAPES: GemmShape[] = [
  { label: '(100x784)·(784x100)', layout: 'NN', m: 100, n: 100, k: 784 },
  { label: '(100x784)ᵀ·(100x100)', layout: 'TN', m: 784, n: 100, k: 100 },
  { label: '(100x10)·(100x10)ᵀ', layout: 'NT', m: 100, n: 100, k: 10 },
  { label: '(100x100)·(100x10)', layout: 'NN', m: 100, n: 10, k: 100 },
  { label: '(100x100)ᵀ·(100x10)', layout: 'TN', m: 100, n: 10, k: 100 },
  { label: '(10000x784)·(784x100)', layout: 'NN', m: 10000, n: 100, k: 784 },
];

async function benchGemm(runtimes: Record<KernelBuild, Runtime>, peaks: Record<KernelBuild, number>) {
  const rows: Results['gemm'] = [];
  for (const shape of SHAPES) {
    const { layout, m, n, k } = shape;
    const flops = 2 * m * n * k;
    const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
    const c = new Float32Array(m * n);
    const tasks: Record<string, () => void> = {};
    const cleanup: (() => void)[] = [];
    for (const build of BUILDS) {
      const runtime = runtimes[build];
      const { arena, kernels } = runtime;
      const [aAt, bAt, cAt, packAt] = [a.length, b.length, c.length, n * k].map((len) => arena.alloc(len * 4));
      new Float32Array(arena.memory.buffer, aAt, a.length).set(a);
      new Float32Array(arena.memory.buffer, bAt, b.length).set(b);
      const ex = kernels.exports;
      tasks[build] = layout === 'NN' ? () => ex.gemmNN(cAt, aAt, bAt, m, n, k, false)
        : layout === 'TN' ? () => ex.gemmTN(cAt, aAt, bAt, m, n, k, false)
          : () => ex.gemmNT(cAt, aAt, bAt, m, n, k, false, packAt);
      cleanup.push(() => [aAt, bAt, cAt, packAt].forEach((at) => arena.release(at)));
    }
    const tfjs = tfjsGemm(layout, m, n, k);
    tasks.tfjs = tfjs.run;
    cleanup.push(tfjs.dispose);
    tasks.naive = () => naiveGemm(layout, a, b, c, m, n, k);
    const ms = await median(tasks, m > 1000 ? (quick ? 300 : 1500) : undefined);
    cleanup.forEach((fn) => fn());
    const gflops = (name: string) => flops / ms[name] / 1e6;
    rows.push({
      shape: shape.label, layout, m, n, k,
      ms,
      gflops: Object.fromEntries(Object.keys(ms).map((name) => [name, gflops(name)])),
      percentOfPeak: { simd: (100 * gflops('simd')) / peaks.simd, 'relaxed-simd': (100 * gflops('relaxed-simd')) / peaks['relaxed-simd'] },
    });
    console.log(`gemm ${layout} ${shape.label}: ${Object.entries(ms).map(([name, t]) => `${name} ${gflops(name).toFixed(1)} GFLOP/s`).join(', ')}`);
  }
  return rows;
}

/** FLOPs of one training step of an MLP: forward, weight gradients, input gradients past layer 1. */
function stepFlops(sizes: number[], batch: number): number {
  let flops = 0;
  for (let l = 0; l < sizes.length - 1; l++) {
    const product = 2 * batch * sizes[l] * sizes[l + 1];
    flops += product * (l === 0 ? 2 : 3);
  }
  return flops;
}

async function benchTrainStep(runtimes: Record<KernelBuild, Runtime>, mnist: Awaited<ReturnType<typeof loadMnist>>) {
  const rows: Results['trainStep'] = [];
  for (const [sizes, activation] of [[[784, 100, 10], 'sigmoid'], [[784, 50, 10], 'relu']] as const) {
    const batch = 100;
    const tasks: Record<string, () => void> = {};
    const cleanup: (() => void)[] = [];
    for (const build of BUILDS) {
      const net = new MLP(runtimes[build], { sizes: [...sizes], activation, seed: 1 });
      const data = new ResidentDataset(net, mnist.train);
      net.ensureRows(batch);
      const indices = net.batchIndices();
      let cursor = 0;
      tasks[build] = () => {
        for (let r = 0; r < batch; r++) indices[r] = (cursor = (cursor + 7919) % data.count);
        net.trainStepResident(data.inputs, data.targets, batch, 0.1);
      };
      cleanup.push(() => {
        data.dispose();
        net.dispose();
      });
    }
    const tfjs = tfjsTrainer([...sizes], activation, 0.1);
    let offset = 0;
    tasks.tfjs = () => {
      offset = (offset + batch) % (mnist.train.count - batch);
      tfjs.step(mnist.train.images.subarray(offset * 784, (offset + batch) * 784), mnist.train.labels.subarray(offset, offset + batch), batch);
    };
    cleanup.push(tfjs.dispose);
    const ms = await median(tasks);
    cleanup.forEach((fn) => fn());
    const flops = stepFlops([...sizes], batch);
    rows.push({ network: `${sizes.join('-')} ${activation}`, batch, ms, gflops: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, flops / v / 1e6])) });
    console.log(`train step ${sizes.join('-')} ${activation}: ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(3)} ms`).join(', ')}`);
  }
  return rows;
}

/**
 * The kernels of one 784-100-10 sigmoid step, batch 100, each timed alone on the step's own
 * shapes: where the step's time goes.
 */
async function benchStepProfile(runtime: Runtime) {
  const { arena, kernels } = runtime;
  const ex = kernels.exports;
  const [x, w1, z1, w2, y, dW1, pack, labels] = [100 * 784, 784 * 100, 100 * 100, 100 * 10, 100 * 10, 784 * 100, 1000, 100]
    .map((n) => arena.alloc(n * 4));
  new Float32Array(arena.memory.buffer, x, 100 * 784).fill(0.5);
  const tasks: Record<string, () => void> = {
    'forward x·W1 (gemmNN 100×100×784)': () => ex.gemmNN(z1, x, w1, 100, 100, 784, false),
    'bias + sigmoid (100×100)': () => { ex.addBiasRows(z1, w2, 100, 100); ex.sigmoidForward(z1, z1, 10000); },
    'forward z1·W2 (gemmNN 100×10×100)': () => ex.gemmNN(y, z1, w2, 100, 10, 100, false),
    'softmax cross-entropy + backward (100×10)': () => {
      ex.softmaxCrossEntropyForward(y, y, labels, 100, 10);
      ex.softmaxCrossEntropyBackward(y, y, labels, 100, 10, 100);
    },
    'dW2 = z1ᵀ·dy (gemmTN 100×10×100) + db2': () => { ex.gemmTN(w2, z1, y, 100, 10, 100, false); ex.columnSums(pack, y, 100, 10, false); },
    'dz1 = dy·W2ᵀ (gemmNT 100×100×10) + sigmoid backward': () => { ex.gemmNT(z1, y, w2, 100, 100, 10, false, pack); ex.sigmoidBackward(z1, z1, z1, 10000); },
    'dW1 = xᵀ·dz1 (gemmTN 784×100×100) + db1': () => { ex.gemmTN(dW1, x, z1, 784, 100, 100, false); ex.columnSums(pack, z1, 100, 100, false); },
    'SGD update (79,510 parameters)': () => ex.sgdUpdate(w1, dW1, 79510, 0),
  };
  const ms = await median(tasks, quick ? 100 : 300);
  [x, w1, z1, w2, y, dW1, pack, labels].forEach((at) => arena.release(at));
  const rows = Object.entries(ms).map(([part, t]) => ({ part, us: t * 1000 }));
  console.log(`step profile: ${rows.map((r) => `${r.part} ${r.us.toFixed(1)} µs`).join('; ')}`);
  return rows;
}

async function benchScaling(runtime: Runtime, mnist: Awaited<ReturnType<typeof loadMnist>>) {
  const configs = [
    ...[32, 64, 128, 256, 512, 1024].map((batch) => ({ batch, hidden: 100 })),
    ...[50, 256, 512, 1024].map((hidden) => ({ batch: 100, hidden })),
  ];
  const data = new ResidentDataset({ runtime, inputSize: 784, outputSize: 10, lossKind: 'softmax-cross-entropy' }, mnist.train);
  const rows: Results['scaling'] = [];
  for (const { batch, hidden } of configs) {
    const net = new MLP(runtime, { sizes: [784, hidden, 10], activation: 'sigmoid', seed: 1 });
    net.ensureRows(batch);
    const indices = net.batchIndices();
    let cursor = 0;
    const ms = (await median({
      step: () => {
        for (let r = 0; r < batch; r++) indices[r] = (cursor = (cursor + 7919) % data.count);
        net.trainStepResident(data.inputs, data.targets, batch, 0.1);
      },
    }, quick ? 100 : 400)).step;
    net.dispose();
    const gflops = stepFlops([784, hidden, 10], batch) / ms / 1e6;
    rows.push({ batch, hidden, ms, gflops });
    console.log(`scaling batch ${batch} hidden ${hidden}: ${ms.toFixed(3)} ms, ${gflops.toFixed(1)} GFLOP/s`);
  }
  data.dispose();
  return rows;
}

async function benchProtocol(build: KernelBuild, mnist: Awaited<ReturnType<typeof loadMnist>>, sparseInput: 'auto' | 'dense') {
  const runtime = await createRuntime(build);
  const net = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, activation: 'sigmoid', seed: 0 });
  const history = train(net, mnist, { iterations: quick ? 1000 : 10000, batchSize: 100, learningRate: 0.1, sparseInput });
  net.dispose();
  const result = {
    build, firstLayer: history.firstLayer, iterations: history.iterations, evaluations: history.evaluations.length, seconds: history.seconds,
    msPerIteration: history.msPerIteration, trainAccuracy: history.final.train!.accuracy!, testAccuracy: history.final.test!.accuracy!,
  };
  console.log(`protocol (${build}, ${history.firstLayer} first layer): ${result.seconds.toFixed(2)} s, test acc ${result.testAccuracy.toFixed(4)}`);
  return result;
}

function benchNumericalGradient(runtime: Runtime, mnist: Awaited<ReturnType<typeof loadMnist>>) {
  const net = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, seed: 0 });
  const x = mnist.train.images.subarray(0, 100 * 784);
  const t = mnist.train.labels.subarray(0, 100);
  const t0 = performance.now();
  net.numericalGradient(x, t, 1e-3);
  const seconds = (performance.now() - t0) / 1000;
  net.dispose();
  console.log(`numerical gradient, 79510 entries, batch 100: ${seconds.toFixed(3)} s`);
  return { parameters: 79510, batch: 100, seconds };
}

/** Heap and wasm memory before and after 10000 steps: the step must allocate nothing. */
function benchHeap(runtime: Runtime, mnist: Awaited<ReturnType<typeof loadMnist>>) {
  const gc = (globalThis as { gc?: () => void }).gc;
  const net = new MLP(runtime, { sizes: [784, 100, 10], activation: 'sigmoid', seed: 1 });
  const data = new ResidentDataset(net, mnist.train);
  net.ensureRows(100);
  const indices = net.batchIndices();
  const stepLoss = net.stepLoss();
  const steps = 10000;
  const losses = new Float64Array(steps);
  const run = (count: number) => {
    for (let s = 0; s < count; s++) {
      for (let r = 0; r < 100; r++) indices[r] = (s * 100 + r * 7919) % data.count;
      net.trainStepResident(data.inputs, data.targets, 100, 0.1);
      losses[s] = stepLoss[0];
    }
  };
  // Heap growth (no GC in between) over three runs of N steps each, after a warm-up: anything
  // the step allocates grows every run by N times its size; what the engine allocates once
  // (compilation, deoptimization) shows in one run only. The smallest run is the steady state.
  // The bench runs with a 64 MB young generation so that no scavenge hides allocations.
  const growth = (count: number) => {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    run(count);
    return process.memoryUsage().heapUsed - before;
  };
  run(steps);
  const wasmBefore = runtime.arena.memory.buffer.byteLength;
  const runs = [growth(steps), growth(steps), growth(steps)];
  gc?.();
  const result = {
    steps, gcExposed: Boolean(gc), runs,
    bytesPerStep: Math.min(...runs) / steps,
    wasmMemoryGrowthBytes: runtime.arena.memory.buffer.byteLength - wasmBefore,
  };
  data.dispose();
  net.dispose();
  console.log(`heap growth over three runs of ${steps} steps: ${runs.join(', ')} bytes (${result.bytesPerStep.toFixed(2)} bytes/step); wasm memory +${result.wasmMemoryGrowthBytes}`);
  return result;
}

async function main() {
  const runtimes = { simd: await createRuntime('simd'), 'relaxed-simd': await createRuntime('relaxed-simd') };
  const tfjsVersion = await initTfjs();
  const peaks = Object.fromEntries(BUILDS.map((build) => [build, measurePeak(runtimes[build])])) as Record<KernelBuild, ReturnType<typeof measurePeak>>;
  // The dense products first: they may raise a build's peak (bench/kernels.ts, Peak), which
  // every "% of peak" below then divides by.
  const rounds = quick ? KERNEL_ROUNDS.quick : KERNEL_ROUNDS.full;
  const kernelRows = benchKernels(runtimes, peaks, rounds);
  console.log(`peak: ${BUILDS.map((b) => `${b} ${peaks[b].peak.toFixed(1)} GFLOP/s`).join(', ')}`);
  const peak = { simd: peaks.simd.peak, 'relaxed-simd': peaks['relaxed-simd'].peak };
  const mnist = await loadMnist();
  const results: Results = {
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, arch: arch(), node: process.version, v8: process.versions.v8,
      peers: tfjsVersion,
    },
    command: `npm run bench${quick ? ' -- --quick' : ''}`,
    date: new Date().toISOString(),
    peaks,
    gemm: await benchGemm(runtimes, peak),
    trainStep: await benchTrainStep(runtimes, mnist),
    stepProfile: await benchStepProfile(runtimes['relaxed-simd']),
    scaling: await benchScaling(runtimes['relaxed-simd'], mnist),
    numericalGradient: benchNumericalGradient(runtimes['relaxed-simd'], mnist),
    numericalTraining: await benchNumericalTraining('relaxed-simd', mnist.train, quick ? 3 : 10, quick ? 200 : 1000),
    heap: benchHeap(runtimes['relaxed-simd'], mnist),
    protocol: [
      await benchProtocol('relaxed-simd', mnist, 'auto'), await benchProtocol('relaxed-simd', mnist, 'dense'),
      await benchProtocol('simd', mnist, 'auto'), await benchProtocol('simd', mnist, 'dense'),
    ],
  };
  const cpu = cpuDescription();
  results.kernels = {
    rows: kernelRows,
    context: `Command: \`${results.command}\` (${results.date}), one core of ${cpuLabel(cpu)}, Node ${process.version}, best of ${rounds} interleaved rounds per product.`,
  };
  const mode = process.env.SIMDNET_REVECTORIZE === '1' ? 'revectorize' : 'default';
  results.cpus = await recordCpu(join(outDir, 'cpus.json'), {
    cpu: cpu.model, cpuid: cpu.cpuid, flags: cpu.flags, mode, node: process.version, date: results.date, command: results.command, peaks, kernels: results.kernels.rows, wasm: kernelsHash(),
  });
  results.sparse = {
    command: results.command, context: 'Measured in the same run.', ...await benchSparse(runtimes, mnist, quick),
  };
  results.conv = {
    command: results.command, context: 'Measured in the same run.', ...await benchConv(runtimes, mnist, quick),
  };
  await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  await writeFileAtomic(join(outDir, 'RESULTS.md'), renderMarkdown(results));
  const batchRows = results.scaling.filter((r) => r.hidden === 100);
  const widthRows = results.scaling.filter((r) => r.batch === 100).sort((a, b) => a.hidden - b.hidden);
  await writeFileAtomic(join(outDir, 'scaling.svg'), accuracyChartSvg(
    [
      { label: 'vs batch (hidden 100)', values: batchRows.map((r) => r.gflops) },
      { label: 'vs hidden (batch 100)', values: widthRows.map((r) => r.gflops), dashed: true },
    ],
    {
      title: 'Training step GFLOP/s, 784-H-10 sigmoid, relaxed SIMD', yLabel: 'GFLOP/s', xLabel: `batch ${batchRows.map((r) => r.batch).join('/')}  |  hidden ${widthRows.map((r) => r.hidden).join('/')}`,
      yMin: 0, yMax: Math.ceil(peak['relaxed-simd'] / 10) * 10,
      xLabels: batchRows.map((r, i) => `${r.batch}/${widthRows[i]?.hidden ?? ''}`),
    },
  ));
  console.log(`wrote bench/results.json, bench/RESULTS.md, bench/scaling.svg`);
}

await main();
