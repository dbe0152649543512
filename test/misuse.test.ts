// Misuse that once gave silently wrong results, each reproduced here: memory growth in the middle
// of a run, two runs at once, a disposed network still reachable, half-loaded parameter files,
// hostile resume points.
import { beforeAll, describe, expect, it } from 'vitest';
import { DivergenceError, ModelFormatError, ValueError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { dense, tanh } from '../src/layers.js';
import { Network } from '../src/network.js';
import { MLP } from '../src/mlp.js';
import { assignSavetxtFiles, checkpointFromBytes, encodeModel, modelFromBytes, savetxtFiles } from '../src/model.js';
import { Random } from '../src/random.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { assignTorchSafetensors, torchStateDict } from '../src/torch.js';
import { train, trainAsync, type TrainOptions } from '../src/train.js';
import { randomArray } from './support/reference.js';
import { buildUnderTest } from './support/runtime.js';

function toyData(count: number, seed: number) {
  const images = randomArray(count * 8, seed);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) labels[r] = images[r * 8] > 0 ? 1 : 0;
  return { images, labels };
}

const data = { train: toyData(300, 1), test: toyData(100, 2) };
const options: TrainOptions = { iterations: 120, batchSize: 20, learningRate: 0.3, evaluateEvery: 30 };
// A fresh runtime per test: what one test allocates must not change another's memory layout.
const fresh = () => createRuntime(buildUnderTest);
const newNet = (runtime: Runtime, seed = 1) => new MLP(runtime, { sizes: [8, 12, 2], activation: 'tanh', weightInitStd: 0.3, seed });
const bits = (net: MLP) => net.paramNames.map((name) => Array.from(new Uint32Array(net.params[name].slice().buffer)));

describe('memory growth during a run', () => {
  it('an onEvaluation that grows the memory changes nothing in the run (A)', async () => {
    const quiet = await fresh();
    const reference = newNet(quiet);
    const expected = train(reference, data, options);

    const runtime = await fresh();
    const net = newNet(runtime);
    const before = runtime.arena.memory.buffer.byteLength;
    const grown: number[] = [];
    const history = train(net, data, {
      ...options,
      onEvaluation: () => {
        // Another network and a large block: both grow the linear memory mid-run.
        const other = newNet(runtime, 9);
        other.evaluate(randomArray(4000 * 8, 3), new Uint8Array(4000));
        grown.push(runtime.arena.alloc(4 << 20));
      },
    });
    expect(runtime.arena.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(history.loss)).toEqual(Array.from(expected.loss));
    expect(history.loss.every(Number.isFinite)).toBe(true);
    expect(bits(net)).toEqual(bits(reference));
    expect(history.final.test!.accuracy).toBe(expected.final.test!.accuracy);
  });

  it('two trainAsync runs at once on one runtime each equal their run alone (A)', async () => {
    const alone = await fresh();
    const soloA = newNet(alone, 1);
    const soloB = newNet(alone, 2);
    train(soloA, data, options);
    train(soloB, data, { ...options, seed: 5 });

    const runtime = await fresh();
    const a = newNet(runtime, 1);
    const b = newNet(runtime, 2);
    const [ha, hb] = await Promise.all([
      trainAsync(a, data, { ...options, yieldEvery: 3 }),
      trainAsync(b, data, { ...options, seed: 5, yieldEvery: 4, onEvaluation: () => void runtime.arena.alloc(2 << 20) }),
    ]);
    expect(ha.loss.every(Number.isFinite) && hb.loss.every(Number.isFinite)).toBe(true);
    expect(bits(a)).toEqual(bits(soloA));
    expect(bits(b)).toEqual(bits(soloB));
  });

  it('a second run on a network already training is refused', async () => {
    const net = newNet(await fresh());
    const first = trainAsync(net, data, options);
    await expect(trainAsync(net, data, options)).rejects.toThrow(/already training/);
    await first;
    expect(() => train(net, data, { ...options, iterations: 2 })).not.toThrow();
  });
});

describe('a disposed network (B)', () => {
  it('throws at every entry point and never touches the memory it gave back', async () => {
    const runtime = await fresh();
    const a = newNet(runtime, 1);
    a.dispose();
    const b = newNet(runtime, 2); // reuses a's blocks
    const w = b.params.W1.slice();
    const x = new Float32Array(8);
    const calls: [string, () => unknown][] = [
      ['params get', () => a.params.W1],
      ['params set', () => (a.params.W1 = new Float32Array(96).fill(999))],
      ['useOptimizer', () => a.useOptimizer({ type: 'adam' })],
      ['ensureRows', () => a.ensureRows(5000)],
      ['predict', () => a.predict(x)],
      ['loss', () => a.loss(x, [0])],
      ['gradient', () => a.gradient(x, [0])],
      ['numericalGradient', () => a.numericalGradient(x, [0])],
      ['trainStep', () => a.trainStep(x, [0], 0.1)],
      ['optimizerState', () => a.optimizerState()],
      ['paramNames', () => a.paramNames],
      ['batchIndices', () => a.batchIndices()],
      ['train', () => train(a, data, options)],
    ];
    for (const [name, call] of calls) expect(call, name).toThrow(/disposed/);
    expect(b.params.W1).toEqual(w);
    expect(b.optimizerState()).toBeUndefined();
    expect(() => a.dispose()).not.toThrow();
  });
});

describe('loading parameters is all or nothing (I)', () => {
  it('a PyTorch state_dict with a bad last layer leaves the network as it was', async () => {
    const net = newNet(await fresh());
    const before = bits(net);
    const state = torchStateDict(net);
    state[state.length - 1] = { ...state[state.length - 1], data: state[state.length - 1].data.map(() => NaN) };
    expect(() => assignTorchSafetensors(net, encodeSafetensors(state, { format: 'pt' }))).toThrow(ModelFormatError);
    expect(bits(net)).toEqual(before);
  });

  it('savetxt files with a non-finite value in b2 leave the network as it was', async () => {
    const net = newNet(await fresh());
    const before = bits(net);
    const files = savetxtFiles(net);
    files['W1.txt'] = files['W1.txt'].replace(/^[^ ]+/, '0.000000000000000000e+00');
    files['b2.txt'] = files['b2.txt'].replace(/^[^\n]+/, 'nan');
    expect(() => assignSavetxtFiles(net, files, 'dir')).toThrow();
    expect(bits(net)).toEqual(before);
  });
});

describe('resume points are validated before training (C)', () => {
  it.each([
    ['all-zero random state', { iterations: 0, random: [0, 0, 0, 0, NaN] }],
    ['random state of strings', { iterations: 0, random: ['a', 'b', 'c', 'd'] }],
    ['random state too short', { iterations: 0, random: [1, 2] }],
    ['a shuffled order with an entry past the set', { iterations: 0, random: new Random(1).getState(), order: Int32Array.from({ length: 300 }, (_, i) => (i === 7 ? 300 : i)) }],
    ['a shuffled order with a repeated row', { iterations: 0, random: new Random(1).getState(), order: Int32Array.from({ length: 300 }, (_, i) => (i === 7 ? 8 : i)) }],
  ])('%s', async (_, resume) => {
    const net = newNet(await fresh());
    const run: TrainOptions = 'order' in resume
      ? { sampling: 'shuffled-epochs', epochs: 2, batchSize: 20 }
      : { ...options, sampling: 'with-replacement' };
    expect(() => train(net, data, { ...run, resume: resume as never })).toThrow(/random state|permutation/);
  });

  it('a JSON round trip of the random state (NaN → null) still resumes', () => {
    const state = JSON.parse(JSON.stringify(new Random(3).getState()));
    expect(state[4]).toBeNull();
    expect(Random.fromState(state).nextUint32()).toBe(new Random(3).nextUint32());
  });

  it('optimizer state must be finite, with Adam’s second moment ≥ 0 and an integer step', async () => {
    const net = newNet(await fresh());
    net.useOptimizer({ type: 'adam' });
    const saved = net.optimizerState()!;
    const bad = saved.state.map((s) => s.slice());
    bad[1][3] = -1;
    expect(() => net.restoreOptimizerState({ ...saved, state: bad })).toThrow(/state 2\[3\] is -1/);
    expect(() => net.restoreOptimizerState({ ...saved, step: -2 })).toThrow(/step is -2/);
    expect(() => net.restoreOptimizerState({ ...saved, step: 1.5 })).toThrow(/step is 1.5/);
    bad[1][3] = 0;
    bad[0][0] = NaN;
    expect(() => net.restoreOptimizerState({ ...saved, state: bad })).toThrow(/state 1\[0\] is NaN/);
    expect(net.optimizerState()!.options.type).toBe('adam');
  });
});

describe('model files are checked before anything is built (D, T, C)', () => {
  /** The file with its metadata changed by `edit`, re-encoded with fresh data checksums. */
  function edited(bytes: Uint8Array, edit: (metadata: Record<string, string>) => void, keepChecksum = true): Uint8Array {
    const { tensors, metadata } = decodeSafetensors(bytes, 'm');
    const crc = metadata.metadata_crc32;
    edit(metadata);
    if (!keepChecksum) delete metadata.metadata_crc32;
    else metadata.metadata_crc32 = crc;
    return encodeSafetensors(tensors, metadata);
  }

  it('a metadata edit (another activation) is refused by the metadata checksum', async () => {
    const net = newNet(await fresh());
    const bytes = edited(encodeModel(net), (m) => (m.activations = '["relu"]'));
    expect(() => modelFromBytes(net.runtime, bytes)).toThrow(/metadata checksum mismatch/);
  });

  it('a description of a huge network with small tensors allocates nothing before failing', async () => {
    const runtime = await fresh();
    const net = newNet(runtime);
    const bytes = edited(encodeModel(net), (m) => {
      m.sizes = '[784,200000,10]';
      m.activations = '["tanh"]';
      m.network = JSON.stringify({ input: 784, layers: [{ kind: 'dense', units: 200000 }, { kind: 'activation', function: 'tanh' }, { kind: 'dense', units: 10 }], loss: 'softmax-cross-entropy' });
    }, false);
    const before = runtime.arena.memory.buffer.byteLength;
    const allocated = runtime.arena.allocatedBytes;
    expect(() => modelFromBytes(runtime, bytes)).toThrow(/W1 has shape \[8,12\], the network needs \[784,200000\]/);
    expect(runtime.arena.memory.buffer.byteLength).toBe(before);
    expect(runtime.arena.allocatedBytes).toBe(allocated);
  });

  it.each([
    ['an optimizer_step of -1', (m: Record<string, string>) => (m.optimizer_step = '-1'), /optimizer_step is '-1'/],
    ['an optimizer_step of NaN', (m: Record<string, string>) => (m.optimizer_step = 'NaN'), /optimizer_step is 'NaN'/],
    ['an unknown optimizer', (m: Record<string, string>) => (m.optimizer = '{"type":"lion"}'), /metadata optimizer: unknown optimizer 'lion'/],
    ['a training entry without iterations', (m: Record<string, string>) => (m.training = '{"random":[1,2,3,4]}'), /metadata training/],
  ])('%s is a ModelFormatError', async (_, edit, message) => {
    const runtime = await fresh();
    const net = newNet(runtime);
    net.useOptimizer({ type: 'adam' });
    const bytes = edited(encodeModel(net, { iterations: 3, random: new Random(1).getState() }), edit, false);
    expect(() => checkpointFromBytes(runtime, bytes)).toThrow(ModelFormatError);
    expect(() => checkpointFromBytes(runtime, bytes)).toThrow(message);
  });

  it('the shuffled order is stored as I32 and comes back exactly', async () => {
    const runtime = await fresh();
    const net = newNet(runtime);
    const order = Int32Array.from({ length: 300 }, (_, i) => 299 - i);
    const { tensors } = decodeSafetensors(encodeModel(net, { iterations: 0, random: new Random(1).getState(), order }), 'm');
    expect(tensors.find((t) => t.name === 'training.order')!.data).toBeInstanceOf(Int32Array);
    expect(checkpointFromBytes(runtime, encodeModel(net, { iterations: 0, random: new Random(1).getState(), order })).progress!.order).toEqual(order);
  });

  it('a general network (mse head) round-trips through its file', async () => {
    const runtime = await fresh();
    const net = new Network(runtime, { input: 3, layers: [dense(4), tanh(), dense(2)], loss: 'mse', init: 'xavier' });
    const back = modelFromBytes(runtime, encodeModel(net));
    expect(back).not.toBeInstanceOf(MLP);
    expect(back.lossKind).toBe('mse');
    const x = randomArray(6, 4);
    expect(back.predict(x)).toEqual(net.predict(x));
  });
});

describe('a diverging run stops with a DivergenceError (F)', () => {
  it('a huge learning rate stops at the first non-finite step loss, naming the iteration', async () => {
    const net = newNet(await fresh());
    const steps: number[] = [];
    let error: unknown;
    try {
      train(net, data, { ...options, learningRate: 1e38, onStep: (iteration, loss) => void steps.push(loss) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DivergenceError);
    const { iteration } = error as DivergenceError;
    expect(steps.every(Number.isFinite)).toBe(true); // nothing non-finite reached the caller
    expect(iteration).toBe(steps.length + 1);
    expect((error as Error).message).toMatch(new RegExp(`diverged at iteration ${iteration}: the step loss is (NaN|Infinity)`));
  });

  it('a step schedule whose rate overflows stops before stepping with it, in train and trainAsync', async () => {
    const schedule = { stepEvery: 10, gamma: 1e30 };
    const net = newNet(await fresh());
    expect(() => train(net, data, { ...options, schedule })).toThrow(/diverged at iteration (\d+): the (learning rate is Infinity|step loss)/);
    await expect(trainAsync(newNet(net.runtime, 2), data, { ...options, schedule })).rejects.toBeInstanceOf(DivergenceError);
  });

  it('a model with non-finite parameters is never encoded', async () => {
    const net = newNet(await fresh());
    net.params.W1[5] = NaN; // as a diverged step leaves it
    expect(() => encodeModel(net)).toThrow(/W1\[5\] is NaN/);
  });
});

describe('runs that plan no steps or too many are refused (O, L)', () => {
  it('dropLast with a batch larger than the set', async () => {
    const net = newNet(await fresh());
    expect(() => train(net, data, { sampling: 'shuffled-epochs', epochs: 3, dropLast: true, batchSize: 301 })).toThrow(ValueError);
    expect(() => train(net, data, { sampling: 'shuffled-epochs', epochs: 3, dropLast: true, batchSize: 301 })).toThrow(/no steps to train/);
  });

  it('an option of the other sampling mode is refused, not ignored', async () => {
    const net = newNet(await fresh());
    expect(() => train(net, data, { iterations: 50, epochs: 2 })).toThrow(/epochs do not apply to with-replacement sampling/);
    expect(() => train(net, data, { sampling: 'shuffled-epochs', epochs: 1, iterations: 50 })).toThrow(/iterations do not apply to shuffled-epochs/);
    expect(() => train(net, data, { dropLast: true })).toThrow(ValueError);
  });

  it('more steps than a run may plan is a ValueError, not a RangeError', async () => {
    const net = newNet(await fresh());
    expect(() => train(net, data, { iterations: 1e10 })).toThrow(ValueError);
  });
});

describe('a resumed run carries its whole history (H)', () => {
  it('losses and evaluations before the checkpoint come back through the file', async () => {
    const runtime = await fresh();
    const straight = train(newNet(runtime), data, options);
    let saved: Uint8Array | undefined;
    const first = newNet(runtime);
    train(first, data, { ...options, onEvaluation: (record, progress) => (record.iterations === 61 ? (saved = encodeModel(first, progress()), false) : undefined) });
    const { net, progress } = checkpointFromBytes(runtime, saved!);
    expect(progress!.loss).toHaveLength(61);
    expect(progress!.evaluations!.map((e) => e.iterations)).toEqual([1, 31, 61]);
    const rest = train(net, data, { ...options, resume: progress });
    // Steps before the checkpoint as it stores them (F32), the rest exactly.
    expect(Array.from(rest.loss)).toEqual(Array.from(straight.loss, (v, i) => (i < 61 ? Math.fround(v) : v)));
    expect(rest.evaluations.map((e) => [e.iterations, e.test!.accuracy])).toEqual(straight.evaluations.map((e) => [e.iterations, e.test!.accuracy]));
  });

  it('a checkpoint with more losses than iterations, or malformed evaluations, is a ModelFormatError', async () => {
    const runtime = await fresh();
    const net = newNet(runtime);
    const random = new Random(1).getState();
    expect(() => checkpointFromBytes(runtime, encodeModel(net, { iterations: 2, random, loss: new Float32Array(3) }))).toThrow(/training.loss must be/);
    const bad = { epoch: 0, iterations: 5, elapsed: 0, test: { loss: 'x' } } as never;
    expect(() => checkpointFromBytes(runtime, encodeModel(net, { iterations: 9, random, evaluations: [bad] }))).toThrow(/metadata evaluations/);
  });
});
