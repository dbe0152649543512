import { copyFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { loadMnist } from '../src/data/mnist-node.js';
import { ModelFormatError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import { encodeModel, modelFromBytes } from '../src/model.js';
import { loadModel, loadParamsText, saveModel, saveParamsText } from '../src/model-node.js';
import type { Runtime } from '../src/runtime.js';
import { train } from '../src/train.js';
import { TwoLayerNet } from '../src/two-layer-net.js';
import { randomArray, randomLabels } from './support/reference.js';
import { runCli, runCliWatching } from './support/cli.js';
import { buildUnderTest, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const tempDir = () => mkdtemp(join(tmpdir(), 'simdnet-model-'));

describe('model files', () => {
  it('model.safetensors rebuilds the same network, which predicts the same', async () => {
    const net = new MLP(runtime, { sizes: [17, 10, 8, 4], activation: ['relu', 'sigmoid'], weightInitStd: 0.3, seed: 9 });
    const path = join(await tempDir(), 'model.safetensors');
    await saveModel(net, path);
    const loaded = await loadModel(path, runtime);
    expect(loaded.sizes).toEqual(net.sizes);
    expect(loaded.activations).toEqual(['relu', 'sigmoid']);
    for (const name of net.paramNames) expect(loaded.params[name]).toEqual(net.params[name]);
    const x = randomArray(5 * 17, 2);
    expect(loaded.predict(x)).toEqual(net.predict(x));
    net.dispose();
    loaded.dispose();
  });

  it('np.savetxt text files round-trip bit for bit', async () => {
    const net = new TwoLayerNet(runtime, { inputSize: 6, hiddenSize: 5, outputSize: 3, weightInitStd: 1, seed: 2 });
    const dir = await tempDir();
    await saveParamsText(net, dir);
    expect((await readdir(dir)).sort()).toEqual(['W1.txt', 'W2.txt', 'b1.txt', 'b2.txt']);
    expect((await readFile(join(dir, 'W1.txt'), 'utf8')).split('\n')[0].split(' ')).toHaveLength(5);
    const other = new TwoLayerNet(runtime, { inputSize: 6, hiddenSize: 5, outputSize: 3, seed: 3 });
    await loadParamsText(other, dir);
    for (const name of net.paramNames) expect(other.params[name]).toEqual(net.params[name]);
    const wrongShape = new TwoLayerNet(runtime, { inputSize: 6, hiddenSize: 4, outputSize: 3 });
    await expect(loadParamsText(wrongShape, dir)).rejects.toThrow(/W1.txt: shape \[6,5\] in the file, expected \[6,4\]/);
    for (const n of [net, other, wrongShape]) n.dispose();
  });

  it('a corrupt, truncated or mismatched model file is a ModelFormatError', async () => {
    const net = new TwoLayerNet(runtime, { inputSize: 6, hiddenSize: 5, outputSize: 3, seed: 2 });
    const bytes = encodeModel(net);
    expect(() => modelFromBytes(runtime, bytes.subarray(0, bytes.length - 3))).toThrow(ModelFormatError);
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 2] ^= 0x40;
    expect(() => modelFromBytes(runtime, corrupt)).toThrow(/checksum mismatch/);
    await expect(loadModel('/nonexistent/model.safetensors', runtime)).rejects.toThrow(/cannot read \/nonexistent/);
    const path = join(await tempDir(), 'm.safetensors');
    await writeFile(path, new Uint8Array(3));
    await expect(loadModel(path, runtime)).rejects.toThrow(ModelFormatError);
    net.dispose();
  });
});

describe('training on real MNIST', () => {
  it('a few hundred iterations reach far above chance (10%)', async () => {
    const mnist = await loadMnist();
    const net = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, activation: 'sigmoid', seed: 1 });
    const history = train(net, mnist, { iterations: 500, batchSize: 100, learningRate: 0.1, seed: 1 });
    expect(history.evaluations).toHaveLength(1); // after iteration 0, then every 600
    expect(history.final.test!.accuracy).toBeGreaterThan(0.75);
    expect(history.final.train.accuracy).toBeGreaterThan(0.75);
    expect(history.loss[history.iterations - 1]).toBeLessThan(history.loss[0] / 2);
    net.dispose();
  });
});

describe('CLI', () => {
  const runWatching = runCliWatching;
  const run = runCli;

  it('trains, reports every evaluation, and writes model, text params, history and chart', async () => {
    const dir = await tempDir();
    const result = await run('train', '--hidden', '32', '--iterations', '120', '--eval-every', '50', '--out', dir, '--no-progress');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/784-32-10 sigmoid/);
    expect(result.out.match(/^ +\d+ +\d+ +\d\.\d{4} /gm)).toHaveLength(3); // after iterations 1, 51, 101
    expect(result.out).toMatch(/done: 120 iterations in [\d.]+ s \([\d.]+ ms\/iteration/);
    expect((await readdir(dir)).sort()).toEqual(['W1.txt', 'W2.txt', 'accuracy.svg', 'b1.txt', 'b2.txt', 'checkpoint.safetensors', 'history.json', 'loss.svg', 'model.pt.safetensors', 'model.safetensors']);
    const history = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
    expect(history.loss).toHaveLength(120);
    expect(history.evaluations).toHaveLength(3);
    expect(history.network.sizes).toEqual([784, 32, 10]);
    const model = await loadModel(join(dir, 'model.safetensors'), runtime);
    expect(model.sizes).toEqual([784, 32, 10]);
    model.dispose();
  });

  it('--resume continues a run from its checkpoint bit for bit', async () => {
    const flags = ['--layers', '784,16,10', '--activation', 'relu', '--optimizer', 'adam', '--lr', '0.003', '--batch', '500', '--no-progress'];
    const straight = await tempDir();
    // A run killed after its first evaluation: the checkpoint as it was when row 0 was printed.
    const interrupted = await tempDir();
    const killedAt = join(interrupted, 'killed.safetensors');
    const snapshot = (line: string) => {
      if (/^ +0 +\d+ +\d\.\d{4} /.test(line)) copyFileSync(join(straight, 'checkpoint.safetensors'), killedAt);
    };
    expect((await runWatching(snapshot, 'train', ...flags, '--epochs', '2', '--out', straight)).code).toBe(0);
    const resumed = await run('train', ...flags, '--epochs', '2', '--out', interrupted, '--resume', killedAt);
    expect(resumed.code).toBe(0);
    expect(Array.from(resumed.out.matchAll(/^ +(\d+) +\d+ +\d\.\d{4} /gm), (m) => m[1])).toEqual(['1']);
    const a = await loadModel(join(straight, 'model.safetensors'), runtime);
    const b = await loadModel(join(interrupted, 'model.safetensors'), runtime);
    for (const name of a.paramNames) expect(b.params[name], name).toEqual(a.params[name]);
    a.dispose();
    b.dispose();
    const mismatch = await run('train', '--layers', '784,32,10', '--epochs', '2', '--resume', killedAt);
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toMatch(/trained with --layers 784,16,10, the flags give --layers 784,32,10/);
  });

  it('--gradient numerical trains by the numerical gradient, as train({ gradient: \'numerical\' })', async () => {
    const dir = await tempDir();
    const flags = ['--layers', '784,8,10', '--activation', 'relu', '--batch', '20', '--iterations', '3', '--eval-every', '2', '--seed', '5'];
    const result = await run('train', ...flags, '--gradient', 'numerical', '--numerical-step', '0.001', '--out', dir, '--no-progress');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/sgd lr 0.1, numerical gradient \(h 0.001\)/);
    expect(result.out.match(/^ +\d+ +\d+ +\d\.\d{4} /gm)).toHaveLength(2);
    const history = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
    expect(history.training.gradient).toBe('numerical');
    expect(history.training.numericalStep).toBe(0.001);
    expect(history.loss).toHaveLength(3);
    // The same run through the API gives the same bits.
    const mnist = await loadMnist();
    const net = new MLP(runtime, { sizes: [784, 8, 10], activation: 'relu', seed: 5 });
    train(net, mnist, { batchSize: 20, iterations: 3, evaluateEvery: 2, seed: 5, learningRate: 0.1, gradient: 'numerical', numericalStep: 0.001 });
    const model = await loadModel(join(dir, 'model.safetensors'), runtime);
    for (const name of net.paramNames) expect(model.params[name], name).toEqual(net.params[name]);
    const untrained = new MLP(runtime, { sizes: [784, 8, 10], activation: 'relu', seed: 5 });
    expect(model.params.W2).not.toEqual(untrained.params.W2);
    for (const n of [net, model, untrained]) n.dispose();
  });

  it('--help documents every flag', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    for (const flag of ['--hidden', '--layers', '--model', '--activation', '--init', '--weight-std', '--seed', '--lr', '--optimizer', '--momentum', '--nesterov', '--weight-decay', '--schedule', '--gradient', '--numerical-step', '--batch', '--iterations', '--epochs', '--drop-last', '--eval-every', '--validate', '--data', '--raw-pixels', '--out', '--resume', '--build', '--no-progress', '--version']) {
      expect(result.out).toContain(flag);
    }
  });

  it.each([
    [['train', '--lr', 'abc'], 2, /^simdnet: --lr expects a positive number, got 'abc'$/],
    [['train', '--bogus'], 2, /^simdnet: Unknown option '--bogus' \(see --help\)$/],
    [['train', '--batch', '0'], 2, /--batch expects a positive integer, got '0'/],
    [['train', '--activation', 'swish'], 2, /--activation must be one of sigmoid, relu, tanh, leaky-relu, got 'swish'/],
    [['train', '--optimizer', 'lion'], 2, /--optimizer must be one of sgd, adam, adamw, rmsprop, adagrad, got 'lion'/],
    [['train', '--optimizer', 'adam', '--momentum', '0.9'], 2, /--momentum and --nesterov go with --optimizer sgd/],
    [['train', '--layers', '784,0,10'], 2, /--layers expects a positive integer, got '0'/],
    [['train', '--lr', 'NaN'], 2, /--lr expects a positive number, got 'NaN'/],
    [['train', '--gradient', 'finite'], 2, /--gradient must be backprop or numerical, got 'finite'/],
    [['train', '--gradient', 'numerical', '--momentum', '0.9'], 2, /--gradient numerical trains with plain SGD/],
    [['train', '--numerical-step', '0.01'], 2, /--numerical-step goes with --gradient numerical/],
    [['train', '--gradient', 'numerical', '--numerical-step', '0'], 2, /--numerical-step expects a positive number, got '0'/],
    [['evaluate'], 2, /unknown command 'evaluate'/],
    [['train', '--data', '/nonexistent/dir'], 1, /^simdnet: MNIST directory \/nonexistent\/dir does not exist$/],
  ])('%j exits %i with one line on stderr', async (args, code, message) => {
    const result = await run(...args);
    expect(result.code).toBe(code);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });

  it('a corrupt dataset is a one-line error, not a stack trace', async () => {
    const dir = await tempDir();
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      await writeFile(join(dir, name), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 9, 1]));
    }
    const result = await run('train', '--data', dir);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^simdnet: .*train-images-idx3-ubyte: truncated: dimensions \[9\] need 9 bytes of payload, found 1$/);
  });
});

it('labels from randomLabels stay in range (test helper sanity)', () => {
  expect(Math.max(...randomLabels(1000, 4, 1))).toBe(3);
});
