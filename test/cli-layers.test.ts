// `simdnet train --layers "conv2d(…) relu …"` end to end on a small slice of MNIST (300 training
// and 100 test images written as IDX files): the layer list trains, its model file loads as the
// same network and evaluates to the accuracy the run reported, the checkpoint stores the list in
// its canonical text and resumes from it, and every mistake in the list is one usage-error line.
import { copyFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, type Mnist } from '../src/data/mnist-node.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { layerSignatures, parseLayers } from '../src/layer-grammar.js';
import { modelFromBytes } from '../src/model.js';
import { MLP } from '../src/mlp.js';
import { defaultThreads, type Runtime } from '../src/runtime.js';
import { threadsText } from '../src/cli-report.js';
import '../src/thread-worker-node.js'; // sets Node's default thread count, as the CLI's entry does
import { runCli, runCliWatching } from './support/cli.js';
import { testRuntime } from './support/runtime.js';
import { mnistSlice } from './support/tiny-mnist.js';

let runtime: Runtime;
let dataDir: string;
let slice: { images: Float32Array; labels: Uint8Array };
beforeAll(async () => {
  runtime = await testRuntime();
  const mnist: Mnist = await loadMnist(undefined, { normalize: false });
  dataDir = await mnistSlice(mnist);
  // The test images as the CLI sees them: pixels scaled to [0, 1].
  slice = { images: mnist.test.images.slice(0, 100 * 784).map((v) => v / 255), labels: Uint8Array.from(mnist.test.labels.subarray(0, 100)) };
});

const run = (...args: string[]) => runCli('--no-progress', ...args);
const SMALL_CNN = 'Conv2d(4, kernel_size=(3,5), stride=2, padding=1) leaky_relu AvgPool2d(2) dropout(0.1) conv2d(6,3) relu maxpool2d(2,stride=1) flatten linear(10)';
const CANONICAL = 'conv2d(4,(3,5),stride=2,padding=1) leaky-relu avgpool2d(2) dropout(0.1) conv2d(6,3) relu maxpool2d(2,stride=1) flatten dense(10)';

describe('simdnet train --layers with a layer list', () => {
  it('trains the network the list describes; its model file loads, predicts and evaluates as the run did', async () => {
    const out = await mkdtemp(join(tmpdir(), 'simdnet-layers-'));
    const result = await run('train', '--layers', SMALL_CNN, '--data', dataDir, '--iterations', '12', '--eval-every', '11', '--batch', '50',
      '--optimizer', 'adam', '--lr', '0.003', '--out', out);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    // [1,28,28] → conv [4,14,13] → pool [4,7,6] → conv [6,5,4] → pool [6,4,3] → 72 → 10
    // The thread count is the machine's default (os.availableParallelism(), at most 8).
    expect(result.out.split('\n')[0]).toBe(
      `simdnet: ${CANONICAL}, ${4 * 15 + 4 + 6 * 4 * 9 + 6 + 72 * 10 + 10} parameters, ${runtime.kernels.build} kernels, ${threadsText(defaultThreads())}`,
    );
    const net = modelFromBytes(runtime, new Uint8Array(await readFile(join(out, 'model.safetensors'))));
    expect(net.layerSpecs).toEqual(parseLayers(SMALL_CNN));
    expect(net.inputShape).toEqual([1, 28, 28]);
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(history.settings.slice(0, 4)).toEqual(['--layers', CANONICAL, '--init', 'pytorch']);
    expect(history.final.train.loss).toBeLessThan(history.evaluations[0].train.loss);
    const evaluation = net.evaluate(slice.images, slice.labels);
    expect(evaluation.accuracy).toBe(history.final.test.accuracy);
    expect(evaluation.loss).toBeCloseTo(history.final.test.loss, 5);
    const scores = net.predict(slice.images.subarray(0, 3 * 784));
    expect(scores.length).toBe(30);
    const torch = decodeSafetensors(new Uint8Array(await readFile(join(out, 'model.pt.safetensors'))), 'torch').tensors;
    expect(torch.map((t) => `${t.name} [${t.shape}]`)).toEqual([
      '0.weight [4,1,3,5]', '0.bias [4]', '4.weight [6,4,3,3]', '4.bias [6]', '8.weight [10,72]', '8.bias [10]',
    ]);
    net.dispose();
  });

  it('trains a list without image layers on flat rows, loaded back as a network of 784 inputs', async () => {
    const out = await mkdtemp(join(tmpdir(), 'simdnet-layers-'));
    const result = await run('train', '--layers', 'dense(32) tanh dropout dense(10)', '--data', dataDir, '--iterations', '3', '--out', out);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/^simdnet: dense\(32\) tanh dropout\(0\.5\) dense\(10\), 25450 parameters/);
    const net = modelFromBytes(runtime, new Uint8Array(await readFile(join(out, 'model.safetensors'))));
    expect(net).not.toBeInstanceOf(MLP);
    expect(net.inputSize).toBe(784);
    expect(net.inputShape).toBeUndefined();
    expect(net.evaluate(slice.images, slice.labels).accuracy).toBe(JSON.parse(await readFile(join(out, 'history.json'), 'utf8')).final.test.accuracy);
    net.dispose();
  });

  it('resumes from its checkpoint to the run without a stop, however the list is spaced; another list is refused', async () => {
    const flags = ['--data', dataDir, '--batch', '50', '--eval-every', '2', '--iterations', '4', '--seed', '3'];
    const list = 'conv2d(3,5) sigmoid maxpool2d(2) flatten dense(10)';
    const whole = await mkdtemp(join(tmpdir(), 'simdnet-layers-'));
    const killedAt = join(await mkdtemp(join(tmpdir(), 'simdnet-layers-')), 'checkpoint.safetensors');
    const snapshot = (line: string) => {
      if (/^ +0 +\d+ +\d\.\d{4} /.test(line)) copyFileSync(join(whole, 'checkpoint.safetensors'), killedAt);
    };
    expect((await runCliWatching(snapshot, '--no-progress', 'train', '--layers', list, ...flags, '--out', whole)).code).toBe(0);
    const resumed = await mkdtemp(join(tmpdir(), 'simdnet-layers-'));
    const result = await run('train', '--layers', ' Conv2d(3, 5)  Sigmoid MaxPool2d(2)  Flatten Linear(10) ', ...flags, '--out', resumed, '--resume', killedAt);
    expect(result.err).toBe('');
    const model = async (dir: string) => new Uint8Array(await readFile(join(dir, 'model.pt.safetensors')));
    expect(Buffer.from(await model(resumed)).equals(Buffer.from(await model(whole)))).toBe(true);
    const bare = await run('train', '--resume', killedAt, '--out', resumed);
    expect(bare.err).toBe('');
    expect(bare.out).toMatch(/^simdnet: conv2d\(3,5\) sigmoid maxpool2d\(2\) flatten dense\(10\),/);
    const other = await run('train', '--layers', 'conv2d(3,5) relu maxpool2d(2) flatten dense(10)', '--resume', killedAt, '--out', resumed);
    expect(other.code).toBe(2);
    expect(other.err).toBe(
      'simdnet: --resume: the run was trained with --layers conv2d(3,5) sigmoid maxpool2d(2) flatten dense(10), ' +
        "the flags give --layers conv2d(3,5) relu maxpool2d(2) flatten dense(10): resume with the run's own settings (leave the flag out)",
    );
  });

  it('--help lists every layer of the grammar with its arguments', async () => {
    const help = (await run('--help')).out;
    for (const signature of layerSignatures()) expect(help).toContain(signature);
  });

  it.each([
    [['--layers', 'conv2d(6,5) relu dense(10)'], "simdnet: --layers: 'dense(10)' at column 18: takes flat rows, not images [6,24,24]: put flatten() before it"],
    [['--layers', 'conv2d(6,5,strid=2) flatten dense(10)'], "simdnet: --layers: 'strid' at column 12: conv2d has no argument strid: conv2d(out_channels, kernel_size, stride=1, padding=0)"],
    [['--layers', 'dense(100) relu dense(10'], "simdnet: --layers: the end (column 25): expected ',' or ')'"],
    [['--layers', 'dense(100) rleu dense(10)'], /^simdnet: --layers: 'rleu' at column 12: unknown layer: expected one of dense, /],
    [['--layers', 'flatten dense(12)'], 'simdnet: --layers: the last layer gives 12 outputs: MNIST has 10 classes, end with dense(10)'],
    [['--layers', 'dense(10)', '--activation', 'relu'], 'simdnet: --activation goes with --hidden or --layers widths: a layer list names its own activations'],
    [['--layers', 'dense(10)', '--gradient', 'numerical'], 'simdnet: --gradient numerical goes with the MLP, not a layer list'],
    [['--layers', 'dense(10)', '--hidden', '5'], 'simdnet: give --hidden or --layers, not both'],
    [['--layers', 'dense(10)', '--model', 'lenet5'], 'simdnet: --model lenet5 has its own layers: no --hidden or --layers'],
  ])('%j is one usage-error line', async (args, message) => {
    const result = await run('train', ...args, '--data', dataDir);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    if (typeof message === 'string') expect(result.err).toBe(message);
    else expect(result.err).toMatch(message);
    expect(result.err).not.toMatch(/\n/);
  });
});
