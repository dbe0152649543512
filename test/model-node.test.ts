// Model files on disk: a checkpoint with its progress and settings round trip, the shared runtime
// taken when none is given, the text files' paths, and every read failure naming the file. The
// formats themselves are model.test.ts's; training into them is model-cli.test.ts's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import { loadCheckpoint, loadModel, loadParamsText, saveModel, saveParamsText } from '../src/model-node.js';
import { sharedRuntime, type Runtime } from '../src/runtime.js';
import { train, type TrainProgress } from '../src/train.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
let dir: string;
beforeAll(async () => {
  runtime = await testRuntime();
  dir = await mkdtemp(join(tmpdir(), 'simdnet-model-node-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const newNet = (seed: number) => new MLP(runtime, { sizes: [5, 4, 3], activation: 'tanh', weightInitStd: 0.5, seed });

describe('model files on disk', () => {
  it('a checkpoint keeps the parameters, the optimizer, the progress and the settings', async () => {
    const net = newNet(1);
    net.useOptimizer({ type: 'adam' });
    let progress: TrainProgress | undefined;
    train(net, { train: { images: randomArray(30 * 5, 2), labels: randomLabels(30, 3, 3) } }, {
      iterations: 6, batchSize: 10, evaluateEvery: 3, onEvaluation: (_, capture) => void (progress = capture()),
    });
    const path = join(dir, 'checkpoint.safetensors');
    await saveModel(net, path, progress, { settings: { hidden: 4 } });
    const loaded = await loadCheckpoint(path, runtime);
    // As JSON holds them: the evaluations without their undefined sets, the random state's NaN as null.
    const asJson = (p?: TrainProgress) => JSON.stringify({ ...p, loss: Array.from(p?.loss ?? []) });
    expect(asJson(loaded.progress)).toBe(asJson(progress));
    expect(loaded.progress!.iterations).toBe(4);
    expect((loaded as { settings?: unknown }).settings).toEqual({ hidden: 4 });
    expect(loaded.net.optimizerState()).toEqual(net.optimizerState());
    for (const name of net.paramNames) expect(loaded.net.params[name]).toEqual(net.params[name]);
    loaded.net.dispose();
    net.dispose();
  });

  it('without a runtime, loads into the shared one', async () => {
    const net = newNet(2);
    const path = join(dir, 'shared.safetensors');
    await saveModel(net, path);
    const shared = await sharedRuntime();
    const model = await loadModel(path);
    const checkpoint = await loadCheckpoint(path);
    expect(model.runtime).toBe(shared);
    expect(checkpoint.net.runtime).toBe(shared);
    expect(checkpoint.progress).toBeUndefined();
    for (const name of net.paramNames) expect(model.params[name]).toEqual(net.params[name]);
    for (const n of [net, model, checkpoint.net]) n.dispose();
  });

  it('the text files: one per tensor, their paths returned in order, read back from the folder', async () => {
    const net = newNet(3);
    const folder = await mkdtemp(join(dir, 'text-'));
    expect(await saveParamsText(net, folder)).toEqual(['W1', 'b1', 'W2', 'b2'].map((name) => join(folder, `${name}.txt`)));
    const other = newNet(4);
    await loadParamsText(other, folder);
    for (const name of net.paramNames) expect(other.params[name]).toEqual(net.params[name]);
    net.dispose();
    other.dispose();
  });

  it('a file that cannot be read is a ModelFormatError naming it and why', async () => {
    const missing = join(dir, 'nowhere.safetensors');
    for (const load of [() => loadModel(missing, runtime), () => loadCheckpoint(missing, runtime)]) {
      await expect(load()).rejects.toThrow(ModelFormatError);
      await expect(load()).rejects.toThrow(new RegExp(`^cannot read ${missing}: ENOENT$`));
    }
    const net = newNet(5);
    const folder = await mkdtemp(join(dir, 'empty-'));
    await expect(loadParamsText(net, folder)).rejects.toThrow(new RegExp(`^cannot read ${join(folder, 'W1.txt')}: ENOENT$`));
    await expect(loadModel(folder, runtime)).rejects.toThrow(new RegExp(`^cannot read ${folder}: EISDIR$`));
    net.dispose();
  });
});
