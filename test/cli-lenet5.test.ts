// `simdnet train --model lenet5` end to end on a small slice of MNIST (300 training and 100
// test images written as IDX files): it trains, writes a model file that rebuilds the same
// network, a PyTorch state_dict in nn.Sequential names and shapes, and resumes from its
// checkpoint bit for bit.
import { copyFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist-node.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { lenet5 } from '../src/lenet5.js';
import { modelFromBytes } from '../src/model.js';
import type { Runtime } from '../src/runtime.js';
import { runCli, runCliWatching } from './support/cli.js';
import { testRuntime } from './support/runtime.js';
import { mnistSlice } from './support/tiny-mnist.js';

let runtime: Runtime;
let dataDir: string;
beforeAll(async () => {
  runtime = await testRuntime();
  const mnist = await loadMnist(undefined, { normalize: false });
  dataDir = await mnistSlice(mnist);
});

const run = (...args: string[]) => runCli('--no-progress', ...args);

describe('simdnet train --model lenet5', () => {
  it('trains LeNet-5 and writes a model file and a PyTorch state_dict of it', async () => {
    const out = await mkdtemp(join(tmpdir(), 'simdnet-lenet-'));
    const result = await run('train', '--model', 'lenet5', '--data', dataDir, '--iterations', '12', '--eval-every', '11', '--batch', '50', '--optimizer', 'adam', '--lr', '0.001', '--out', out);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^simdnet: LeNet-5 relu, 61706 parameters/);
    const net = modelFromBytes(runtime, new Uint8Array(await readFile(join(out, 'model.safetensors'))));
    expect(net.layerSpecs).toEqual(lenet5('relu'));
    expect(net.inputShape).toEqual([1, 28, 28]);
    const torch = decodeSafetensors(new Uint8Array(await readFile(join(out, 'model.pt.safetensors'))), 'torch').tensors;
    expect(torch.map((t) => `${t.name} [${t.shape}]`)).toEqual([
      '0.weight [6,1,5,5]', '0.bias [6]', '3.weight [16,6,5,5]', '3.bias [16]',
      '7.weight [120,400]', '7.bias [120]', '9.weight [84,120]', '9.bias [84]', '11.weight [10,84]', '11.bias [10]',
    ]);
    expect(Array.from(torch[0].data)).toEqual(Array.from(net.params.W1));
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(history.network.inputShape).toEqual([1, 28, 28]);
    // It learns: eleven more Adam steps lower the training loss below that after the first.
    expect(history.final.train.loss).toBeLessThan(history.evaluations[0].train.loss);
    net.dispose();
  });

  it('resumes from its checkpoint to the same parameters as the run without a stop', async () => {
    const flags = ['--model', 'lenet5', '--activation', 'tanh', '--data', dataDir, '--batch', '50', '--eval-every', '2', '--iterations', '4'];
    const whole = await mkdtemp(join(tmpdir(), 'simdnet-lenet-'));
    // The checkpoint as the first evaluation left it: a run killed after that stands in for a stop.
    const killedAt = join(await mkdtemp(join(tmpdir(), 'simdnet-lenet-')), 'checkpoint.safetensors');
    const snapshot = (line: string) => {
      if (/^ +0 +\d+ +\d\.\d{4} /.test(line)) copyFileSync(join(whole, 'checkpoint.safetensors'), killedAt);
    };
    expect((await runCliWatching(snapshot, '--no-progress', 'train', ...flags, '--out', whole)).code).toBe(0);
    const resumed = await mkdtemp(join(tmpdir(), 'simdnet-lenet-'));
    const result = await run('train', ...flags, '--out', resumed, '--resume', killedAt);
    expect(result.err).toBe('');
    const model = async (dir: string) => new Uint8Array(await readFile(join(dir, 'model.pt.safetensors')));
    expect(Buffer.from(await model(resumed)).equals(Buffer.from(await model(whole)))).toBe(true);
    const mismatch = await run('train', '--layers', '784,100,10', '--resume', killedAt, '--out', resumed);
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toMatch(/trained with --model lenet5, the flags give --layers 784,100,10/);
  });

  it.each([
    [['--model', 'alexnet'], /--model must be lenet5, got 'alexnet'/],
    [['--model', 'lenet5', '--layers', '784,10'], /--model lenet5 has its own layers/],
  ])('%j is a usage error', async (args, message) => {
    const result = await run('train', ...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
