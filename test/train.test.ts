import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DivergenceError, ShapeError, ValueError } from '../src/errors.js';
import { ResidentDataset } from '../src/dataset.js';
import { Random } from '../src/random.js';
import { dense, relu } from '../src/layers.js';
import { MLP } from '../src/mlp.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { checkpointFromBytes, encodeModel } from '../src/model.js';
import { train, trainAsync, type AsyncTrainOptions, type TrainProgress } from '../src/train.js';
import { randomArray, randomLabels } from './support/reference.js';
import { expectRefusal } from './support/refusal.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

// A small separable problem: the label is the index of the largest of the first 4 features.
function toyData(count: number, seed: number) {
  const images = randomArray(count * 8, seed);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < 4; c++) if (images[r * 8 + c] > images[r * 8 + best]) best = c;
    labels[r] = best;
  }
  return { images, labels };
}

const newNet = (seed = 1) => new MLP(runtime, { sizes: [8, 16, 4], activation: 'relu', weightInitStd: 0.3, seed });

describe('train, batches drawn with replacement', () => {
  it('evaluates after the update of iterations 0, E, 2E, … as the references, and learns', () => {
    const net = newNet();
    const data = { train: toyData(250, 1), test: toyData(100, 2) };
    const history = train(net, data, { iterations: 301, batchSize: 25, learningRate: 0.5 });
    expect(history.iterations).toBe(301);
    expect(history.loss.length).toBe(301);
    expect(history.options.evaluateEvery).toBe(10); // ceil(250 / 25)
    expect(history.evaluations.map((e) => e.iterations)).toEqual(Array.from({ length: 31 }, (_, i) => 1 + 10 * i));
    expect(history.final.iterations).toBe(301);
    expect(history.final.train.count).toBe(250);
    expect(history.final.test!.accuracy).toBeGreaterThan(0.85);
    expect(history.evaluations[0].test!.accuracy).toBeLessThan(history.final.test!.accuracy);
    net.dispose();
  });

  it('the same seeds give the same history and weights; another sampling seed does not', () => {
    const run = (samplingSeed: number) => {
      const net = newNet();
      const history = train(net, { train: toyData(100, 3) }, { iterations: 50, batchSize: 10, seed: samplingSeed });
      const w = net.params.W1.slice();
      net.dispose();
      return { loss: Array.from(history.loss), w };
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7).w).not.toEqual(run(8).w);
  });

  it('stops when onEvaluation returns false', () => {
    const net = newNet();
    const history = train(net, { train: toyData(100, 4) }, {
      iterations: 1000, batchSize: 10, onEvaluation: (record) => record.epoch < 2,
    });
    expect(history.evaluations.length).toBe(3);
    expect(history.iterations).toBe(21);
    net.dispose();
  });
});

describe('train, shuffled epochs', () => {
  it('each epoch covers every example once, the last partial batch kept', () => {
    const net = newNet();
    const steps: number[] = [];
    const history = train(net, { train: toyData(103, 5), test: toyData(50, 6) }, {
      sampling: 'shuffled-epochs', epochs: 3, batchSize: 10, onStep: (i) => steps.push(i),
    });
    expect(history.iterations).toBe(33); // 3 × ceil(103/10)
    expect(history.evaluations.map((e) => e.iterations)).toEqual([11, 22, 33]);
    expect(steps.length).toBe(33);
    net.dispose();
  });

  it('drops the last partial batch when asked', () => {
    const net = newNet();
    const history = train(net, { train: toyData(103, 5) }, {
      sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, dropLast: true,
    });
    expect(history.iterations).toBe(20);
    net.dispose();
  });
});

describe('train with an optimizer, a schedule and a validation set', () => {
  it('evaluates the validation set each epoch and learns with Adam and a cosine schedule', () => {
    const net = newNet();
    const history = train(net, { train: toyData(200, 1), validation: toyData(100, 2) }, {
      sampling: 'shuffled-epochs', epochs: 10, batchSize: 20, learningRate: 0.02,
      optimizer: { type: 'adam' }, schedule: 'cosine', evaluateTrain: false,
    });
    expect(history.evaluations).toHaveLength(10);
    expect(history.evaluations[0].train).toBeUndefined();
    expect(history.final.validation!.accuracy).toBeGreaterThan(0.75); // chance is 0.25
    expect(history.final.validation!.loss).toBeLessThan(history.evaluations[0].validation!.loss);
    expect(net.optimizerState()!.step).toBe(100);
    net.dispose();
  });

  it('a step schedule multiplies the rate by gamma every stepEvery steps', () => {
    // With lr 0 after the first decay nothing moves: compare to a run of exactly that many steps.
    const run = (iterations: number, schedule?: { stepEvery: number; gamma: number }) => {
      const net = newNet();
      train(net, { train: toyData(100, 3) }, { iterations, batchSize: 10, learningRate: 0.1, schedule });
      const w = net.params.W1.slice();
      net.dispose();
      return w;
    };
    expect(run(30, { stepEvery: 10, gamma: 0 })).toEqual(run(10));
    expect(() => run(5, { stepEvery: 0, gamma: 0.5 })).toThrow(/bad schedule/);
  });
});

describe('train rejects bad configurations', () => {
  it.each([
    [{ batchSize: 0 }, /batchSize is 0/],
    [{ iterations: 1.5 }, /iterations is 1.5/],
    [{ learningRate: NaN }, /learning rate is NaN/],
    [{ sampling: 'bogus' as never }, /unknown sampling 'bogus'/],
  ])('%o', (options, message) => {
    const net = newNet();
    expect(() => train(net, { train: toyData(20, 1) }, options)).toThrow(message);
    net.dispose();
  });

  it('rejects data of the wrong width or with bad labels', () => {
    const net = newNet();
    expect(() => train(net, { train: { images: randomArray(20 * 7, 1), labels: new Uint8Array(20) } })).toThrow(ShapeError);
    const data = toyData(20, 1);
    data.labels[5] = 4;
    expect(() => train(net, { train: data })).toThrow(ValueError);
    expect(() => train(net, { train: { images: data.images, labels: randomLabels(19, 4, 1) } })).toThrow(/20 images but 19 labels/);
    net.dispose();
  });

  it('frees the resident datasets after training, also after an error', () => {
    const net = newNet();
    const before = runtime.arena.allocatedBytes;
    train(net, { train: toyData(50, 1) }, { iterations: 5, batchSize: 10 });
    expect(runtime.arena.allocatedBytes).toBe(before);
    const data = toyData(20, 1);
    data.labels[19] = 9;
    expect(() => train(net, { train: data })).toThrow();
    expect(runtime.arena.allocatedBytes).toBe(before);
    // The training set is resident when the test set is refused: it is freed too.
    expect(() => train(net, { train: toyData(50, 1), test: data })).toThrow(ValueError);
    expect(runtime.arena.allocatedBytes).toBe(before);
    net.dispose();
  });
});

describe('saving and resuming', () => {
  it.each([
    ['shuffled epochs with Adam', { sampling: 'shuffled-epochs', epochs: 4, batchSize: 16, learningRate: 0.01, optimizer: { type: 'adam' }, schedule: 'cosine' }],
    ['with replacement, SGD momentum', { iterations: 60, batchSize: 10, evaluateEvery: 15, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } }],
  ] as const)('%s: a run saved mid-way and resumed from the file is bit-for-bit the uninterrupted run', async (_, options) => {
    const data = { train: toyData(100, 7), test: toyData(40, 8) };
    const straight = newNet();
    const full = train(straight, data, options);

    const first = newNet();
    let saved: Uint8Array | undefined;
    train(first, data, {
      ...options,
      onEvaluation: (record, progress) => {
        if (record.epoch < 1) return true;
        saved = encodeModel(first, progress());
        return false; // stop as if the process ended here
      },
    });
    first.dispose();
    const { net: resumed, progress } = checkpointFromBytes(runtime, saved!);
    const rest = train(resumed, data, { ...options, resume: progress });

    for (const name of straight.paramNames) expect(resumed.params[name], name).toEqual(straight.params[name]);
    // The history is the whole run's: the steps before the checkpoint as it stored them (F32).
    expect(Array.from(rest.loss)).toEqual(Array.from(full.loss, (v, i) => (i < progress!.iterations ? Math.fround(v) : v)));
    expect(rest.evaluations).toHaveLength(full.evaluations.length);
    expect(rest.final.test).toEqual(full.final.test);
    expect(resumed.optimizerState()!.step).toBe(straight.optimizerState()!.step);
    straight.dispose();
    resumed.dispose();
  });

  it('a resume point that does not fit the data is a clear error', () => {
    const net = newNet();
    expect(() => train(net, { train: toyData(100, 7) }, {
      sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, resume: { iterations: 5, random: [1, 2, 3, 4, NaN], order: new Int32Array(100) },
    })).toThrow(/cannot resume at iteration 5/);
    net.dispose();
  });
});

describe('trainAsync', () => {
  it('gives the same parameters as train, handing out turns as it goes', async () => {
    const options = { sampling: 'shuffled-epochs', epochs: 3, batchSize: 10, learningRate: 0.1 } as const;
    const data = { train: toyData(100, 11), test: toyData(30, 12) };
    const sync = newNet();
    train(sync, data, options);
    const async = newNet();
    let turns = 0;
    const history = await trainAsync(async, data, { ...options, yieldEvery: 5, control: () => (turns++, true) });
    expect(history.iterations).toBe(30);
    expect(turns).toBeGreaterThanOrEqual(6);
    for (const name of sync.paramNames) expect(async.params[name]).toEqual(sync.params[name]);
    sync.dispose();
    async.dispose();
  });

  it('pauses while control is pending and stops when it answers false', async () => {
    const net = newNet();
    let turns = 0;
    const history = await trainAsync(net, { train: toyData(100, 11) }, {
      iterations: 1000, batchSize: 10, yieldEvery: 10,
      control: () => new Promise((resolve) => setTimeout(() => resolve(++turns < 4), 5)),
    });
    expect(history.iterations).toBeLessThan(50);
    net.dispose();
  });

  /** The steps done at each turn trainAsync hands out, and its history. */
  async function turnsOf(rows: number, options: AsyncTrainOptions) {
    const net = newNet();
    let steps = 0;
    const turns: number[] = [];
    const history = await trainAsync(net, { train: toyData(rows, 11) }, { ...options, onStep: (i) => void (steps = i), control: () => (turns.push(steps), true) });
    net.dispose();
    return { turns, history };
  }

  it('hands out a turn every 25 steps by default and after every evaluation, each after its step', async () => {
    // 100 rows in batches of 10: an evaluation after steps 1, 11, 21, 31, 41; turns due after 25 and 50.
    const { turns, history } = await turnsOf(100, { iterations: 50, batchSize: 10 });
    expect(turns).toEqual([1, 11, 21, 25, 31, 41, 50]);
    expect(history.iterations).toBe(50);
  });

  it('shuffled epochs: a turn every yieldEvery steps and after every epoch', async () => {
    // 25 rows in batches of 10: epochs of 3 steps (10, 10, 5).
    const { turns } = await turnsOf(25, { sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, yieldEvery: 2 });
    expect(turns).toEqual([2, 3, 4, 6, 6]);
  });

  it('control answering false stops after the next step; the final evaluation is of where it stopped', async () => {
    const net = newNet();
    const withReplacement = await trainAsync(net, { train: toyData(100, 11) }, { iterations: 50, batchSize: 10, control: () => false });
    expect(withReplacement.iterations).toBe(2);
    expect(withReplacement.loss).toHaveLength(2);
    expect(withReplacement.evaluations.map((e) => [e.epoch, e.iterations])).toEqual([[0, 1]]);
    expect([withReplacement.final.epoch, withReplacement.final.iterations]).toEqual([0, 2]);
    // Epochs of 5 steps: asked after step 2, it stops after step 3, in the middle of the first.
    const shuffled = await trainAsync(net, { train: toyData(50, 11) }, {
      sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, yieldEvery: 2, control: () => false,
    });
    expect(shuffled.iterations).toBe(3);
    expect(shuffled.evaluations).toEqual([]);
    expect([shuffled.final.epoch, shuffled.final.iterations]).toEqual([0, 3]);
    net.dispose();
  });

  it('frees the resident datasets, and the network trains again after a run that failed', async () => {
    const net = newNet();
    const before = runtime.arena.allocatedBytes;
    await trainAsync(net, { train: toyData(50, 1), test: toyData(20, 2) }, { iterations: 5, batchSize: 10 });
    expect(runtime.arena.allocatedBytes).toBe(before);
    await expect(trainAsync(net, { train: toyData(50, 1) }, { iterations: 5, batchSize: 0 })).rejects.toThrow(/batchSize is 0/);
    expect(runtime.arena.allocatedBytes).toBe(before);
    expect((await trainAsync(net, { train: toyData(50, 1) }, { iterations: 3, batchSize: 10 })).iterations).toBe(3);
    net.dispose();
  });
});

describe("the first layer's path over each resident set", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** `count` rows of 8: the first `full` rows without a zero, the others all `zero` (0 or −0). */
  const rows = (count: number, full: number, zero: number, seed: number) => {
    const images = randomArray(count * 8, seed).map((v, i) => (i < full * 8 ? v || 0.5 : zero));
    return { images, labels: randomLabels(count, 4, seed) };
  };
  type Rows = ReturnType<typeof rows>;
  /** The run's firstLayer, and which sets were compressed, by their row counts (40 train, 30 test). */
  const run = (data: { train: Rows; test?: Rows }, sparseInput: 'auto' | 'dense' | 'sparse', net: Network = newNet()) => {
    const compress = vi.spyOn(ResidentDataset.prototype, 'compress');
    const history = train(net, data, { iterations: 2, batchSize: 10, sparseInput });
    const compressed = new Set(compress.mock.contexts.map((set) => (set as ResidentDataset).count));
    net.dispose();
    compress.mockRestore();
    return { firstLayer: history.firstLayer, compressed: [...compressed].sort() };
  };
  // A quarter of the entries nonzero, all in the first rows: a density of 0.25, below every build's crossovers.
  const sparseTrain = rows(40, 10, 0, 1);
  const sparseTest = rows(30, 7, 0, 2);
  const denseTrain = rows(40, 40, 0, 3);
  const denseTest = rows(30, 30, 0, 4);

  it("'auto' compresses the sets of density below the crossovers, counting every row and −0 as nonzero", () => {
    expect(run({ train: sparseTrain, test: sparseTest }, 'auto')).toEqual({ firstLayer: 'sparse', compressed: [30, 40] });
    expect(run({ train: rows(40, 10, -0, 5) }, 'auto')).toEqual({ firstLayer: 'dense', compressed: [] });
    // Only the test set's forward is compressed, or only the training set's products.
    expect(run({ train: denseTrain, test: sparseTest }, 'auto')).toEqual({ firstLayer: 'dense', compressed: [30] });
    expect(run({ train: sparseTrain, test: denseTest }, 'auto')).toEqual({ firstLayer: 'sparse', compressed: [40] });
  });

  it("'dense' compresses nothing, 'sparse' every set, and a first layer that is not dense reads every input", () => {
    expect(run({ train: sparseTrain, test: sparseTest }, 'dense')).toEqual({ firstLayer: 'dense', compressed: [] });
    expect(run({ train: denseTrain, test: denseTest }, 'sparse')).toEqual({ firstLayer: 'sparse', compressed: [30, 40] });
    const activationFirst = new Network(runtime, { input: 8, layers: [relu(), dense(4)], seed: 1 });
    expect(run({ train: sparseTrain, test: sparseTest }, 'sparse', activationFirst)).toEqual({ firstLayer: 'dense', compressed: [] });
  });
});

describe('the run, step by step', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('with replacement, each step trains on batchSize rows drawn by the seeded generator, one draw a row', () => {
    const data = toyData(60, 21);
    const net = newNet(3);
    const history = train(net, { train: data }, { iterations: 3, batchSize: 7, seed: 5, learningRate: 0.5 });
    // The same steps by hand, on the batches Random(5) draws.
    const byHand = newNet(3);
    const random = new Random(5);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const rows = Array.from({ length: 7 }, () => random.int(60));
      const x = new Float32Array(7 * 8);
      rows.forEach((row, r) => x.set(data.images.subarray(row * 8, row * 8 + 8), r * 8));
      losses.push(byHand.trainStep(x, Int32Array.from(rows, (row) => data.labels[row]), 0.5));
    }
    history.loss.forEach((loss, step) => expect(loss, `step ${step}`).toBeCloseTo(losses[step], 5));
    for (const name of net.paramNames) expect(net.params[name], name).toEqual(byHand.params[name]);
    net.dispose();
    byHand.dispose();
  });

  it('makes room for a batch larger than the network\'s rows', () => {
    const net = new Network(runtime, { input: 8, layers: [dense(4)], maxRows: 4, seed: 1 });
    expect(train(net, { train: toyData(30, 1) }, { iterations: 2, batchSize: 10 }).iterations).toBe(2);
    net.dispose();
  });

  it('numbers evaluations by evaluateEvery with replacement, by epochs when shuffled, and the final one where the run ended', () => {
    const net = newNet();
    // Evaluations after steps 1, 8, …, 43; the final one after step 49 still belongs to the 7th (epoch 6).
    const every7 = train(net, { train: toyData(100, 1) }, { iterations: 49, batchSize: 10, evaluateEvery: 7 });
    expect(every7.evaluations.map((e) => [e.epoch, e.iterations])).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => [k, 1 + 7 * k]));
    expect([every7.final.epoch, every7.final.iterations]).toEqual([6, 49]);
    // 19 rows in batches of 10, the partial one dropped: epochs of 1 step, evaluated every 2 by default.
    const dropped = train(net, { train: toyData(19, 2) }, { sampling: 'shuffled-epochs', epochs: 3, batchSize: 10, dropLast: true });
    expect(dropped.evaluations.map((e) => [e.epoch, e.iterations])).toEqual([[0, 1], [1, 2], [2, 3]]);
    net.dispose();
  });

  it('a run that ends on an evaluation reports it as the final one; otherwise evaluates once more', () => {
    const net = newNet();
    const onIt = train(net, { train: toyData(100, 1) }, { iterations: 21, batchSize: 10 });
    expect(onIt.final).toBe(onIt.evaluations.at(-1));
    const offIt = train(net, { train: toyData(100, 1) }, { iterations: 25, batchSize: 10 });
    expect(offIt.final.iterations).toBe(25);
    expect(offIt.evaluations.at(-1)!.iterations).toBe(21);
    net.dispose();
  });

  it('the progress a callback captures keeps the order of that moment, not the next epoch\'s', () => {
    const net = newNet();
    const captured: { order: number[]; progress: TrainProgress }[] = [];
    train(net, { train: toyData(30, 1) }, {
      sampling: 'shuffled-epochs', epochs: 3, batchSize: 10,
      onEvaluation: (_, progress) => {
        const p = progress();
        captured.push({ order: Array.from(p.order!), progress: p });
      },
    });
    for (const { order, progress } of captured) expect(Array.from(progress.order!)).toEqual(order);
    expect(captured[0].order).not.toEqual(captured[1].order);
    net.dispose();
  });

  it('times its steps and evaluations on the clock: seconds, elapsed, milliseconds per step', () => {
    // A clock that moves 1 ms at every reading, from a start far from 0.
    let now = 1e6;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 1));
    const net = newNet();
    const history = train(net, { train: toyData(100, 1) }, { iterations: 20, batchSize: 10 });
    expect(history.msPerIteration).toBe(1); // read before and after each step
    expect(history.seconds).toBeGreaterThan(0);
    expect(history.seconds).toBeLessThan(1);
    for (const evaluation of history.evaluations) {
      expect(evaluation.elapsed).toBeGreaterThan(0);
      expect(evaluation.elapsed).toBeLessThanOrEqual(history.seconds);
    }
    // A resumed run times only its own steps; one with none left reports 0 ms per step.
    let progress: TrainProgress | undefined;
    train(net, { train: toyData(100, 1) }, { iterations: 20, batchSize: 10, onEvaluation: (record, p) => void (record.iterations === 11 && (progress = p())) });
    const resumed = train(net, { train: toyData(100, 1) }, { iterations: 20, batchSize: 10, resume: progress });
    expect([resumed.iterations, resumed.msPerIteration]).toEqual([20, 1]);
    const done = train(net, { train: toyData(100, 1) }, { iterations: 20, batchSize: 10, resume: { ...progress!, iterations: 20, loss: undefined } });
    expect([done.iterations, done.msPerIteration]).toEqual([20, 0]);
    net.dispose();
  });

  it('an update that makes the parameters non-finite stops the run at the evaluation that measures it', () => {
    const net = newNet();
    expectRefusal(() => train(net, { train: toyData(100, 1) }, { iterations: 5, batchSize: 10, learningRate: 1e30 }), DivergenceError,
      'training diverged at iteration 1: the train loss is NaN (a lower learning rate may help)');
    const other = newNet();
    expectRefusal(() => train(other, { train: toyData(100, 1), test: toyData(20, 2) }, { iterations: 5, batchSize: 10, learningRate: 1e30, evaluateTrain: false }),
      DivergenceError, 'training diverged at iteration 1: the test loss is NaN (a lower learning rate may help)');
    net.dispose();
    other.dispose();
  });

  it('a step schedule whose rate overflows stops before the step that would take it', () => {
    const net = newNet();
    expectRefusal(() => train(net, { train: toyData(100, 1) }, { iterations: 5, batchSize: 10, learningRate: 1e-300, schedule: { stepEvery: 1, gamma: 1e300 } }),
      DivergenceError, 'training diverged at iteration 3: the learning rate is Infinity (a lower learning rate may help)');
    net.dispose();
  });

  it('a with-replacement run ignores the order a resume point carries', () => {
    const net = newNet();
    const resume = { iterations: 0, random: new Random(0).getState(), order: Int32Array.of(1, 0) };
    expect(train(net, { train: toyData(30, 1) }, { iterations: 2, batchSize: 10, resume }).iterations).toBe(2);
    net.dispose();
  });

  it('names each set in its refusal', () => {
    const net = newNet();
    const narrow = { images: randomArray(10 * 7, 1), labels: new Uint8Array(10) };
    const good = toyData(20, 1);
    for (const [data, what] of [[{ train: narrow }, 'training set'], [{ train: good, validation: narrow }, 'validation set'], [{ train: good, test: narrow }, 'test set']] as const) {
      expect(() => train(net, data, { iterations: 1 })).toThrow(new RegExp(`^${what} inputs`));
    }
    net.dispose();
  });
});
