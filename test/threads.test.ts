// Threads share every pass without changing a bit: each network below trains with 1, 2, 3 and 4
// threads (more than this machine's cores) on the build under test, and every weight, every
// optimizer state word and every evaluation sum must equal the single-threaded run's, which is
// the unshared build's (the threaded twin of a build is compared with the build itself).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/node.js';
import { Arena } from '../src/arena.js';
import { ResidentDataset } from '../src/dataset.js';
import { ThreadError } from '../src/errors.js';
import { avgPool2d, conv2d, dense, dropout, flatten, maxPool2d, relu, sigmoid, tanh, type LayerSpec, type Loss } from '../src/layers.js';
import { Network, type Evaluation } from '../src/network.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import { Random } from '../src/random.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { ThreadPool } from '../src/thread-pool.js';
import { train, type TrainOptions } from '../src/train.js';
import { loadKernels } from '../src/wasm.js';
import { runCli } from './support/cli.js';
import { firstDifference } from './support/first-difference.js';
import { buildUnderTest, testRuntime } from './support/runtime.js';
import { tinyMnist } from './support/tiny-mnist.js';

const THREADS = [1, 2, 3, 4];
const runtimes = new Map<number, Promise<Runtime>>();
function runtimeWith(threads: number): Promise<Runtime> {
  // Every pass shared, however small, so the small networks below exercise the threads too; red
  // zones after every buffer catch a thread's share that runs past its buffer's end.
  if (!runtimes.has(threads)) runtimes.set(threads, testRuntime({ threads, minimumSharedWork: 0 }));
  return runtimes.get(threads)!;
}
afterAll(async () => {
  for (const runtime of runtimes.values()) (await runtime).dispose();
});

interface Case {
  name: string;
  input: number;
  inputShape?: [number, number, number];
  layers: LayerSpec[];
  loss?: Loss;
  optimizer?: OptimizerOptions;
  options?: TrainOptions;
  rows?: number;
  /** Pixels zero with this probability (a sparse-looking input). */
  zeros?: number;
}

function data(c: Case, classes: number) {
  const random = new Random(7);
  const rows = c.rows ?? 600;
  const inputs = Float32Array.from({ length: rows * c.input }, () => (random.uniform() < (c.zeros ?? 0) ? 0 : random.uniform()));
  const targets = c.loss === undefined || c.loss === 'softmax-cross-entropy'
    ? Int32Array.from({ length: rows }, () => random.int(classes))
    : Float32Array.from({ length: rows * classes }, () => (c.loss === 'mse' ? random.normal() : random.int(2)));
  return { inputs, targets };
}

interface Outcome {
  weights: Float32Array[];
  optimizerState: Float32Array[];
  evaluation: Evaluation;
  losses: number[];
  predictions: Float32Array;
  gradient: Float32Array[];
}

async function run(c: Case, threads: number): Promise<Outcome> {
  const runtime = await runtimeWith(threads);
  // Buffers of exactly the training batch's rows, so that no spare row hides a share that runs past
  // its buffer from the red zones.
  const batchSize = c.options?.batchSize ?? 50;
  const net = new Network(runtime, { input: c.input, inputShape: c.inputShape, layers: c.layers, loss: c.loss, init: 'he', seed: 4, maxRows: batchSize });
  try {
    const set = data(c, net.outputSize);
    if (c.optimizer) net.useOptimizer(c.optimizer);
    const history = train(net, { train: set }, { iterations: 30, batchSize, learningRate: 0.01, evaluateTrain: false, ...c.options });
    // Then predictions, and steps on batches passed in (trainStep, not the training loop's
    // gathered batches): each call followed at once by the next, which must find every thread's
    // share of it done.
    const predictions = net.predict(set.inputs.subarray(0, 37 * c.input));
    const rows = c.rows ?? 600;
    const targetsPerRow = set.targets.length / rows;
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const first = (step * batchSize) % (rows - batchSize + 1);
      losses.push(net.trainStep(set.inputs.subarray(first * c.input, (first + batchSize) * c.input), set.targets.subarray(first * targetsPerRow, (first + batchSize) * targetsPerRow), 0.01));
    }
    const gradient = net.gradient(set.inputs.subarray(0, 37 * c.input), set.targets.subarray(0, 37 * targetsPerRow));
    const outcome = {
      weights: net.paramNames.map((name) => net.params[name].slice()),
      optimizerState: net.optimizerState()?.state ?? [],
      evaluation: net.evaluate(set.inputs, set.targets),
      losses: [...history.loss, ...losses],
      predictions,
      gradient: Object.values(gradient),
    };
    expect(runtime.arena.overwrittenRedZones(), `${threads} threads: written past a buffer`).toEqual([]);
    return outcome;
  } finally {
    net.dispose();
  }
}

const CASES: Case[] = [
  { name: '784-100-10 sigmoid, SGD', input: 784, layers: [dense(100), sigmoid(), dense(10)], options: { learningRate: 0.1, batchSize: 100 } },
  {
    name: '784-128-256-10 relu, Adam with weight decay and gradient clipping', input: 784,
    layers: [dense(128), relu(), dense(256), relu(), dense(10)], optimizer: { type: 'adam', weightDecay: 0.01, maxGradNorm: 0.5 },
    options: { learningRate: 0.001, batchSize: 64 },
  },
  { name: 'dropout, SGD with momentum', input: 50, layers: [dense(33), relu(), dropout(0.3), dense(17), tanh(), dropout(0.5), dense(3)], optimizer: { type: 'sgd', momentum: 0.9 } },
  { name: 'sparse first layer, RMSprop', input: 300, zeros: 0.8, layers: [dense(40), relu(), dense(5)], optimizer: { type: 'rmsprop' }, options: { sparseInput: 'sparse' } },
  // Plain SGD skips the weight rows no input of the batch touched, each thread its share.
  { name: 'sparse first layer, plain SGD', input: 300, zeros: 0.97, layers: [dense(40), relu(), dense(5)], options: { sparseInput: 'sparse' } },
  {
    name: 'a small convolutional net, Adagrad', input: 2 * 10 * 10, inputShape: [2, 10, 10], rows: 120,
    layers: [conv2d(4, 3, { padding: 1 }), relu(), maxPool2d(2), conv2d(3, 3), tanh(), avgPool2d(1), flatten(), dense(9), relu(), dense(4)],
    optimizer: { type: 'adagrad' },
  },
  { name: 'odd widths, binary cross-entropy, batch of 3', input: 17, layers: [dense(7), sigmoid(), dense(3)], loss: 'binary-cross-entropy', options: { batchSize: 3 } },
  // The last layer an activation: its backward shares rows of the loss gradient that thread 0
  // alone writes, so they must wait for it.
  { name: 'sigmoid output, mean squared error', input: 30, layers: [dense(12), relu(), dense(4), sigmoid()], loss: 'mse' },
  { name: 'mean squared error, AdamW, batch of 1', input: 9, layers: [dense(5), tanh(), dense(2)], loss: 'mse', optimizer: { type: 'adamw' }, options: { batchSize: 1 } },
];

describe(`threads give the single-threaded bits (${buildUnderTest} build)`, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const reference = await run(c, 1);
      expect(reference.losses.length).toBeGreaterThan(0);
      for (const threads of THREADS.slice(1)) {
        const outcome = await run(c, threads);
        expect((await runtimeWith(threads)).threads).toBe(threads);
        expect(firstDifference(outcome, reference), `${threads} threads`).toBeUndefined();
      }
    });
  }

  it('the numerical gradient (its fast last layers and the slow whole-forward path), with dropout', async () => {
    const gradients: Record<string, Float32Array>[] = [];
    for (const threads of THREADS) {
      const net = new Network(await runtimeWith(threads), { input: 12, layers: [dense(6), tanh(), dropout(0.25), dense(5), relu(), dense(3)], seed: 9 });
      const { inputs, targets } = data({ name: 'numerical', input: 12, rows: 10, layers: [] }, 3);
      gradients.push(net.numericalGradient(inputs, targets));
      expect(net.runtime.arena.overwrittenRedZones()).toEqual([]);
      net.dispose();
    }
    for (const gradient of gradients) expect(firstDifference(gradient, gradients[0])).toBeUndefined();
    expect(Object.keys(gradients[0])).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
  });

  // Staged from JS a block at a time (evaluate), and resident, all the blocks in one pass
  // (evaluateResident): there thread 0 sums a block's metrics while the others wait, and with a
  // single layer the next block's forward would write the very logits it reads.
  it.each([
    ['784-100-10', [dense(100), sigmoid(), dense(10)]],
    ['a single dense layer', [dense(10)]],
  ] as [string, LayerSpec[]][])('evaluation over many blocks: the same sums (%s)', async (_, layers) => {
    const c: Case = { name: 'evaluation', input: 784, rows: 2500, layers };
    const evaluations: Evaluation[] = [];
    for (const threads of THREADS) {
      const net = new Network(await runtimeWith(threads), { input: c.input, layers: c.layers, seed: 2, maxRows: 512 });
      const set = data(c, 10);
      const resident = new ResidentDataset(net, set);
      evaluations.push(net.evaluate(set.inputs, set.targets), net.evaluateResident(resident.inputs, resident.targets, resident.count));
      expect(net.runtime.arena.overwrittenRedZones()).toEqual([]);
      resident.dispose();
      net.dispose();
    }
    for (const evaluation of evaluations) expect(firstDifference(evaluation, evaluations[0])).toBeUndefined();
    expect(evaluations[0].count).toBe(2500);
  });
});

describe('how threads share a dense forward product', () => {
  // By rows or by columns, the bits are the same (the cases above), so only this pins the choice
  // assembly/layers/dense.ts measured: columns for at most 128 rows whose columns split into
  // whole 8-column panels, the same number for every thread.
  it('by columns only for ≤ 128 rows and a width of whole 8-column panels per thread', async () => {
    const { denseSharesByColumns } = (await runtimeWith(1)).kernels.exports;
    const byColumns = (threadCount: number, rows: number, outSize: number) => Boolean(denseSharesByColumns(threadCount, rows, outSize));
    expect(byColumns(1, 64, 128)).toBe(false);
    expect(byColumns(2, 64, 128)).toBe(true);
    expect(byColumns(2, 1, 16)).toBe(true);
    expect(byColumns(2, 128, 256)).toBe(true);
    expect(byColumns(2, 129, 256)).toBe(false);
    expect(byColumns(2, 100, 100)).toBe(false);
    expect(byColumns(2, 64, 104)).toBe(false);
    expect(byColumns(2, 64, 112)).toBe(true);
    expect(byColumns(3, 64, 48)).toBe(true);
    expect(byColumns(3, 64, 32)).toBe(false);
    expect(byColumns(4, 64, 32)).toBe(true);
  });
});

describe('thread pool failures', () => {
  it('a worker that fails during a pass makes the pass throw a ThreadError, and every later pass too', async () => {
    const runtime = await createRuntime(buildUnderTest, { threads: 2, workerFault: 'throw', minimumSharedWork: 0 });
    try {
      const net = new Network(runtime, { input: 20, layers: [dense(8), relu(), dense(3)] });
      const x = new Float32Array(40 * 20).fill(0.5);
      const t = new Int32Array(40);
      expect(() => net.trainStep(x, t, 0.1)).toThrow(ThreadError);
      expect(() => net.trainStep(x, t, 0.1)).toThrow(/worker thread 1 failed/);
      expect(() => net.evaluate(x, t)).toThrow(ThreadError);
    } finally {
      runtime.dispose();
    }
  });

  // Each pass its own first on a new pool whose worker fails when asked: the pass must throw,
  // which it does only if it asked the worker (a pass that ran on thread 0 alone would give the
  // right numbers, only slower, and nothing else would show it).
  const x = new Float32Array(40 * 20).fill(0.5);
  const labels = new Int32Array(40);
  const PASSES: [string, LayerSpec[], (net: Network) => unknown][] = [
    ['trainStep', [dense(8), relu(), dense(3)], (net) => net.trainStep(x, labels, 0.1)],
    ['gradient', [dense(8), relu(), dense(3)], (net) => net.gradient(x, labels)],
    ['evaluate', [dense(8), relu(), dense(3)], (net) => net.evaluate(x, labels)],
    ['predict', [dense(8), relu(), dense(3)], (net) => net.predict(x)],
    ['train (gathered batches)', [dense(8), relu(), dense(3)],
      (net) => train(net, { train: { inputs: x, targets: labels } }, { iterations: 1, batchSize: 40, evaluateTrain: false })],
    ['numericalGradient (its last layers)', [dense(8), relu(), dense(3)], (net) => net.numericalGradient(x, labels)],
    ['numericalGradient with dropout (its training forward first)', [dense(8), dropout(0.5), dense(3)], (net) => net.numericalGradient(x, labels)],
  ];
  it.each(PASSES)('%s asks the workers: a failing one makes it throw a ThreadError', async (_, layers, pass) => {
    const runtime = await createRuntime(buildUnderTest, { threads: 2, workerFault: 'throw', minimumSharedWork: 0 });
    try {
      expect(() => pass(new Network(runtime, { input: 20, layers }))).toThrow(ThreadError);
    } finally {
      runtime.dispose();
    }
  });

  it('a pass below minimumSharedWork stays on the calling thread: a failing worker is never asked', async () => {
    const runtime = await createRuntime(buildUnderTest, { threads: 2, workerFault: 'throw', minimumSharedWork: 20 * 8 * 40 + 1 });
    try {
      const net = new Network(runtime, { input: 20, layers: [dense(8)] });
      const x = new Float32Array(40 * 20).fill(0.5);
      expect(Number.isFinite(net.trainStep(x, new Int32Array(40), 0.1))).toBe(true);
      expect(() => net.trainStep(new Float32Array(41 * 20), new Int32Array(41), 0.1)).toThrow(ThreadError);
    } finally {
      runtime.dispose();
    }
  });

  it('a worker that cannot take its place: the pool does not start, says why, and gives its memory back', async () => {
    const memory = new WebAssembly.Memory({ initial: 10, maximum: 65536, shared: true });
    const kernels = await loadKernels(buildUnderTest, memory);
    const arena = new Arena(memory, kernels.exports.heapBase());
    // A module with no exports: the worker instantiates it, then finds no threadInit to call.
    const empty = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const start = ThreadPool.start({ ...kernels, module: empty }, arena, 2);
    await expect(start).rejects.toThrow(ThreadError);
    await expect(start).rejects.toThrow(/^a worker thread did not start: .*threadInit is not a function$/);
    expect(arena.allocatedBytes).toBe(0);
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(createRuntime(buildUnderTest, { threads: 0 })).rejects.toThrow(/threads is 0/);
    await expect(createRuntime(buildUnderTest, { threads: 1.5 })).rejects.toThrow(/threads is 1.5/);
  });

  it('a script that trains with threads and never disposes them exits by itself', async () => {
    const script = `
      import { createMLP } from ${JSON.stringify(fileURLToPath(new URL('../dist/node.js', import.meta.url)))};
      const net = await createMLP({ sizes: [784, 100, 10], threads: 3, build: ${JSON.stringify(buildUnderTest)} });
      const x = new Float32Array(64 * 784).fill(0.25);
      for (let i = 0; i < 20; i++) net.trainStep(x, new Int32Array(64), 0.1);
      console.log('threads', net.runtime.threads);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('threads 3');
  });
});

describe('simdnet train --threads', () => {
  it('writes the same model file with 1 and 3 threads, and refuses a count that is not a positive integer', async () => {
    const data = await tinyMnist({ train: 400, test: 100 });
    const models: Buffer[] = [];
    for (const threads of ['1', '3']) {
      const out = await mkdtemp(join(tmpdir(), 'simdnet-threads-'));
      const result = await runCli('train', '--data', data, '--hidden', '64', '--batch', '100', '--iterations', '40', '--threads', threads, '--out', out, '--no-progress');
      expect(result.code, result.err).toBe(0);
      // The banner names the threads the run got: really 3, not one thread after a note.
      expect(result.out).toMatch(new RegExp(`kernels, ${threads} threads?\n`));
      expect(result.out + result.err).not.toMatch(/running on one thread/);
      models.push(await readFile(join(out, 'model.safetensors')));
    }
    expect(models[1].equals(models[0])).toBe(true);
    const refused = await runCli('train', '--data', data, '--threads', '0');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--threads expects a positive integer, got '0'/);
  });
});
