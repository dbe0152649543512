// Convolutions on LeNet-5's shapes, batch 100, both kernel builds side by side in one process:
// each convolution's forward and backward pass timed alone inside a LeNet-5 network (the
// plan's own buffers, the kernels its fused step calls), as GFLOP/s and % of the build's peak,
// beside TensorFlow.js's wasm conv2d forward on the same shapes; then the whole LeNet-5
// training step against TensorFlow.js in the same process: on its wasm backend (which cannot
// train a convolution: the attempt's error is reported as it happened) and on its CPU backend.
// Every time is the best of interleaved samples (bench/timing.ts).
import { lenet5, LENET5_INPUT_SHAPE, Network, ResidentDataset, type KernelBuild, type Mnist, type Runtime } from 'simdnet';
import { PEAK_LOOPS } from './kernels.js';
import { tfjsConv2d, tfjsLenet5Trainer, useTfjsBackend } from './peers.js';
import { bestOf } from './timing.js';

const BATCH = 100;
const LEARNING_RATE = 0.01;

/** LeNet-5's convolutions: their layer index in lenet5() and what they compute. */
const CONVOLUTIONS = [
  { layer: 0, name: 'conv1 1→6, 5×5, pad 2', inShape: [1, 28, 28], out: 6, kernel: 5, padding: 'same' as const, positions: 28 * 28 },
  { layer: 3, name: 'conv2 6→16, 5×5', inShape: [6, 14, 14], out: 16, kernel: 5, padding: 'valid' as const, positions: 10 * 10 },
];

export interface ConvResults {
  batch: number;
  rounds: number;
  peaks: Record<KernelBuild, number>;
  layers: {
    layer: string;
    /** backward: the weight and bias gradients, and the input gradient where the step needs it. */
    pass: 'forward' | 'backward';
    inputGradient: boolean;
    flops: number;
    us: Record<string, number>;
    gflops: Record<string, number>;
    percentOfPeak: Record<KernelBuild, number>;
    /** The pass's GEMM calls alone, without the unfold/fold and the bias. */
    gemmUs: Record<KernelBuild, number>;
  }[];
  step: {
    flops: number;
    /** ms per step, or the error the peer threw. */
    peers: { name: string; ms?: number; error?: string }[];
  };
}

/** A LeNet-5 network with its buffers filled by one real step, and its plan's addresses. */
function lenetOnMnist(runtime: Runtime, mnist: Mnist) {
  const net = new Network(runtime, { inputShape: LENET5_INPUT_SHAPE, layers: lenet5('relu'), init: 'pytorch', seed: 1 });
  net.ensureRows(BATCH);
  // The plan's address is not public API: the bench reaches it to call one layer's kernels alone.
  const plan = (net as unknown as { plan: { offset: number } }).plan.offset;
  const { exports: ex, layout } = runtime.kernels;
  const x = ex.header(plan, layout.PLAN_INPUT);
  const targets = ex.header(plan, layout.PLAN_TARGETS);
  new Float32Array(runtime.arena.memory.buffer, x, BATCH * 784).set(mnist.train.images.subarray(0, BATCH * 784));
  new Int32Array(runtime.arena.memory.buffer, targets, BATCH).set(mnist.train.labels.subarray(0, BATCH));
  // Every layer's output and gradient as a real step leaves them: the timed calls read those.
  ex.lossAndGradients(plan, x, targets, BATCH);
  const forward = (layer: number) => {
    const input = ex.layerInput(plan, layer, x);
    return () => ex.conv2dForward(plan, layer, input, BATCH);
  };
  const backward = (layer: number, inputGradient: boolean) => {
    const input = ex.layerInput(plan, layer, x);
    const dOutput = ex.layerPointer(plan, layer, layout.LAYER_GRAD);
    const dInput = inputGradient ? ex.layerPointer(plan, layer - 1, layout.LAYER_GRAD) : 0;
    return () => ex.conv2dBackward(plan, layer, input, dOutput, dInput, BATCH);
  };
  // The same passes' GEMMs alone, on the same buffers (the unfolded row as the pass left it):
  // what the pass costs beyond them is the unfold/fold and the bias.
  const gemms = (layer: number, pass: 'forward' | 'backward', inputGradient: boolean) => {
    const conv = CONVOLUTIONS.find((c) => c.layer === layer)!;
    const patch = conv.inShape[0] * conv.kernel ** 2;
    const outBytes = conv.out * conv.positions * 4;
    const [weights, col, output, dOutput, weightGrad] = [layout.LAYER_WEIGHTS, layout.LAYER_SCRATCH, layout.LAYER_OUTPUT, layout.LAYER_GRAD, layout.LAYER_WEIGHT_GRAD]
      .map((word) => ex.layerPointer(plan, layer, word));
    return pass === 'forward'
      ? () => {
        for (let r = 0; r < BATCH; r++) ex.gemmNN(output + r * outBytes, weights, col, conv.out, conv.positions, patch, false);
      }
      : () => {
        for (let r = 0; r < BATCH; r++) {
          ex.gemmNN(weightGrad, dOutput + r * outBytes, col, conv.out, patch, conv.positions, r > 0);
          if (inputGradient) ex.gemmTN(col, weights, dOutput + r * outBytes, patch, conv.positions, conv.out, false);
        }
      };
  };
  return { net, forward, backward, gemms };
}

/** FLOPs of LeNet-5's training step: its GEMMs, forward and backward (conv1 has no input gradient). */
function lenetStepFlops(): number {
  const conv = CONVOLUTIONS.reduce((sum, c, i) => sum + 2 * c.out * c.inShape[0] * c.kernel ** 2 * c.positions * (i === 0 ? 2 : 3), 0);
  const dense = [[400, 120], [120, 84], [84, 10]].reduce((sum, [inputs, units]) => sum + 2 * inputs * units * 3, 0);
  return BATCH * (conv + dense);
}

/**
 * Each build's peak (the register-only multiply-add loops of assembly/peak.ts, the best of
 * them, PEAK_LOOPS) sampled like the convolutions, so that on a shared machine the
 * "% of peak" divides two figures measured under the same conditions.
 */
function samplePeaks(runtimes: Record<KernelBuild, Runtime>, rounds: number): Record<KernelBuild, number> {
  const ITERATIONS = 1 << 16;
  const builds = Object.keys(runtimes) as KernelBuild[];
  const tasks: Record<string, () => void> = {};
  for (const build of builds) {
    const ex = runtimes[build].kernels.exports;
    for (const loop of PEAK_LOOPS) tasks[`${build} ${loop.name}`] = () => ex[loop.name](ITERATIONS);
  }
  const us = bestOf(tasks, rounds);
  return Object.fromEntries(builds.map((build) => [
    build, Math.max(...PEAK_LOOPS.map((loop) => (loop.flops * ITERATIONS) / us[`${build} ${loop.name}`])) / 1e3,
  ])) as Record<KernelBuild, number>;
}

export async function benchConv(runtimes: Record<KernelBuild, Runtime>, mnist: Mnist, quick: boolean): Promise<ConvResults> {
  const rounds = quick ? 4 : 20;
  const builds = Object.keys(runtimes) as KernelBuild[];
  const peaks = samplePeaks(runtimes, rounds);
  const nets = Object.fromEntries(builds.map((build) => [build, lenetOnMnist(runtimes[build], mnist)])) as Record<KernelBuild, ReturnType<typeof lenetOnMnist>>;

  await useTfjsBackend('wasm');
  const layers: ConvResults['layers'] = [];
  for (const conv of CONVOLUTIONS) {
    const flops = 2 * conv.out * conv.inShape[0] * conv.kernel ** 2 * conv.positions * BATCH;
    // The step computes no input gradient for the first layer: nothing before it learns.
    const inputGradient = conv.layer > 0;
    const tfjs = tfjsConv2d(BATCH, conv.inShape, conv.out, conv.kernel, conv.padding);
    const gemmTasks = (pass: 'forward' | 'backward') => Object.fromEntries(builds.map((b) => [`${b} gemms`, nets[b].gemms(conv.layer, pass, inputGradient)]));
    const forwardUs = bestOf({
      ...Object.fromEntries(builds.map((b) => [b, nets[b].forward(conv.layer)])), ...gemmTasks('forward'), 'tfjs wasm': tfjs.run,
    }, rounds);
    tfjs.dispose();
    const backwardUs = bestOf({ ...Object.fromEntries(builds.map((b) => [b, nets[b].backward(conv.layer, inputGradient)])), ...gemmTasks('backward') }, rounds);
    for (const [pass, all, passFlops] of [['forward', forwardUs, flops], ['backward', backwardUs, flops * (inputGradient ? 2 : 1)]] as const) {
      const us = Object.fromEntries(Object.entries(all).filter(([name]) => !name.endsWith(' gemms')));
      const gflops = Object.fromEntries(Object.entries(us).map(([name, t]) => [name, passFlops / t / 1e3]));
      layers.push({
        layer: conv.name, pass, inputGradient: pass === 'backward' && inputGradient, flops: passFlops, us, gflops,
        percentOfPeak: Object.fromEntries(builds.map((b) => [b, (100 * gflops[b]) / peaks[b]])) as Record<KernelBuild, number>,
        gemmUs: Object.fromEntries(builds.map((b) => [b, all[`${b} gemms`]])) as Record<KernelBuild, number>,
      });
      console.log(`${conv.name} ${pass}: ${Object.entries(us).map(([name, t]) => `${name} ${(passFlops / t / 1e3).toFixed(1)} GFLOP/s`).join(', ')}`);
    }
  }
  for (const build of builds) nets[build].net.dispose();

  // The training step: simdnet on a resident set (batches gathered inside wasm), tfjs on tensors
  // made from the same images each step, as its users feed it.
  const steps: Record<string, () => void> = {};
  const cleanup: (() => void)[] = [];
  for (const build of builds) {
    const net = new Network(runtimes[build], { inputShape: LENET5_INPUT_SHAPE, layers: lenet5('relu'), init: 'pytorch', seed: 1 });
    const data = new ResidentDataset(net, mnist.train);
    net.ensureRows(BATCH);
    const indices = net.batchIndices();
    let cursor = 0;
    steps[`simdnet ${build}`] = () => {
      for (let r = 0; r < BATCH; r++) indices[r] = (cursor = (cursor + 7919) % data.count);
      net.trainStepResident(data.inputs, data.targets, BATCH, LEARNING_RATE);
    };
    cleanup.push(() => {
      data.dispose();
      net.dispose();
    });
  }
  let offset = 0;
  const tfjsStep = (trainer: ReturnType<typeof tfjsLenet5Trainer>) => () => {
    offset = (offset + BATCH) % (mnist.train.count - BATCH);
    trainer.step(mnist.train.images.subarray(offset * 784, (offset + BATCH) * 784), mnist.train.labels.subarray(offset, offset + BATCH), BATCH);
  };
  const peers: ConvResults['step']['peers'] = [];
  const wasmTrainer = tfjsLenet5Trainer(LEARNING_RATE);
  try {
    tfjsStep(wasmTrainer)();
    steps['tfjs wasm'] = tfjsStep(wasmTrainer);
  } catch (error) {
    peers.push({ name: 'tfjs wasm', error: `${(error as Error).name}: ${(error as Error).message}` });
    console.log(`tfjs wasm LeNet-5 step: ${(error as Error).message}`);
  }
  // The CPU backend is timed in its own rounds, after: a tfjs backend switch between samples
  // would be timed too.
  const us = bestOf(steps, rounds);
  wasmTrainer.dispose();
  await useTfjsBackend('cpu');
  const cpuTrainer = tfjsLenet5Trainer(LEARNING_RATE);
  // Its steps take seconds (plain-JS convolution gradients): a few samples say enough.
  us['tfjs cpu'] = bestOf({ 'tfjs cpu': tfjsStep(cpuTrainer) }, quick ? 1 : 3)['tfjs cpu'];
  cpuTrainer.dispose();
  await useTfjsBackend('wasm');
  cleanup.forEach((fn) => fn());
  for (const [name, t] of Object.entries(us)) peers.push({ name, ms: t / 1000 });
  const order = ['simdnet relaxed-simd', 'simdnet simd', 'tfjs wasm', 'tfjs cpu'];
  peers.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  console.log(`LeNet-5 step, batch ${BATCH}: ${peers.map((p) => `${p.name} ${p.ms !== undefined ? `${p.ms.toFixed(2)} ms` : 'failed'}`).join(', ')}`);
  return { batch: BATCH, rounds, peaks, layers, step: { flops: lenetStepFlops(), peers } };
}

const f1 = (v: number) => v.toFixed(1);

export function renderConvMarkdown(r: ConvResults, context: string): string {
  const lines: string[] = [];
  lines.push(`## Convolutions: LeNet-5's layers and training step, batch ${r.batch}`, '');
  lines.push(
    `${context} Each convolution runs alone inside a LeNet-5 network, on the buffers a real step filled (MNIST images), ` +
      `through the kernels the fused step calls (unfold, GEMM microkernels, fold). FLOPs count the GEMMs (2·out·in·kh·kw per output ` +
      `position); backward is the weight gradient plus, for conv2, the input gradient (the step needs none for conv1). ` +
      `tfjs runs its own NHWC layout on the same shapes. Best of ${r.rounds} interleaved samples ` +
      `(tfjs cpu: of a few, its steps take seconds). Peaks sampled the same way: ${Object.entries(r.peaks).map(([b, p]) => `${b} ${f1(p)} GFLOP/s`).join(', ')}.`,
    '',
  );
  lines.push(
    '| layer | pass | GFLOP | simdnet relaxed SIMD | simdnet SIMD | tfjs wasm conv2d | GEMMs alone: share of the pass (relaxed / SIMD) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const l of r.layers) {
    const cell = (build: KernelBuild) => `${f1(l.gflops[build])} GFLOP/s (${l.percentOfPeak[build].toFixed(0)}%), ${(l.us[build] / 1000).toFixed(2)} ms`;
    const peer = l.gflops['tfjs wasm'] !== undefined ? `${f1(l.gflops['tfjs wasm'])} GFLOP/s, ${(l.us['tfjs wasm'] / 1000).toFixed(2)} ms` : '—';
    const share = (build: KernelBuild) => `${((100 * l.gemmUs[build]) / l.us[build]).toFixed(0)}%`;
    lines.push(`| ${l.layer} | ${l.pass}${l.inputGradient ? ' (with input gradient)' : ''} | ${(l.flops / 1e9).toFixed(3)} | ${cell('relaxed-simd')} | ${cell('simd')} | ${peer} | ${share('relaxed-simd')} / ${share('simd')} |`);
  }
  lines.push('', 'The rest of each pass is the unfold (im2col), the fold (col2im) and the bias.');
  lines.push('', `The whole LeNet-5 training step (relu, plain SGD lr ${LEARNING_RATE}, ${(r.step.flops / 1e6).toFixed(0)} MFLOP of GEMMs), one core:`, '');
  lines.push('| trainer | ms per step | GFLOP/s | time / simdnet relaxed SIMD\'s |', '| --- | --- | --- | --- |');
  const reference = r.step.peers.find((p) => p.name === 'simdnet relaxed-simd')?.ms;
  for (const p of r.step.peers) {
    if (p.ms === undefined) lines.push(`| ${p.name} | cannot train it: \`${p.error}\` | — | — |`);
    else lines.push(`| ${p.name} | ${p.ms.toFixed(2)} | ${(r.step.flops / p.ms / 1e6).toPrecision(2)} | ${reference ? `${(p.ms / reference).toFixed(2)}×` : '—'} |`);
  }
  return lines.join('\n') + '\n';
}
