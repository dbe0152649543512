// The references' training loop. Each iteration takes a batch, runs one fused SGD step in wasm
// (or, with gradient 'numerical', a step by central differences: numerical-training.ts)
// and records the loss; every `evaluateEvery` iterations (one "epoch": ceil(train/batch)) it
// measures loss and accuracy on the full train and test sets.
//
// Two ways to draw batches:
//   'with-replacement'  batchSize indices drawn uniformly, as np.random.choice(train_size,
//                       batch_size) in the references; runs `iterations` steps.
//   'shuffled-epochs'   each epoch a fresh permutation cut into batches, as a shuffled
//                       DataLoader; runs `epochs` epochs and evaluates after each.
import { DivergenceError, SimdnetError, ValueError } from './errors.js';
import { ResidentDataset, type DataSet } from './dataset.js';
import type { Evaluation, Network } from './network.js';
import { NumericalGradientStep } from './numerical-training.js';
import type { CompressedRows } from './compressed-rows.js';
import { chooseFirstLayerPath, type FirstLayerProduct } from './sparse-choice.js';
import type { OptimizerOptions } from './optimizer.js';
import { Random } from './random.js';

export type Sampling = 'with-replacement' | 'shuffled-epochs';

export type SparseInput = 'auto' | 'dense' | 'sparse';

export type Schedule = 'constant' | 'cosine' | { stepEvery: number; gamma: number };

export interface TrainOptions {
  learningRate?: number;
  /**
   * How the learning rate changes with the step: constant (default); 'cosine' from
   * learningRate down to 0 over the run; or multiplied by gamma every stepEvery steps.
   */
  schedule?: Schedule;
  /** The update rule; default plain SGD (p −= lr·g). */
  optimizer?: OptimizerOptions;
  /**
   * How each step's gradient is taken: 'backprop' (default, fused in wasm) or 'numerical',
   * central differences over every parameter (net.numericalGradient) then plain SGD: the slow,
   * obviously correct way, for comparison. It accepts no other optimizer.
   */
  gradient?: 'backprop' | 'numerical';
  /** With gradient 'numerical': the central differences' step h. Default: net.numericalGradient's. */
  numericalStep?: number;
  /** Also measure loss and accuracy on the whole training set at each evaluation. Default true. */
  evaluateTrain?: boolean;
  batchSize?: number;
  sampling?: Sampling;
  /** With-replacement sampling: how many steps. Default 10000. */
  iterations?: number;
  /** Shuffled epochs: how many epochs. Default 1. */
  epochs?: number;
  /** Shuffled epochs: drop the last partial batch instead of training on it. */
  dropLast?: boolean;
  /** With-replacement sampling: evaluate after every this many steps. Default ceil(train/batch). */
  evaluateEvery?: number;
  /** Seed of the batch sampling. Default 0. */
  seed?: number;
  /**
   * The first dense layer's products over a resident set: 'auto' (default) multiplies only the
   * nonzero inputs when the set's density is below the measured crossover (sparse-choice.ts),
   * 'sparse' and 'dense' force a path. Both give the same bits; only the time differs.
   * The environment variable SIMDNET_SPARSE_INPUT sets the default (tests, benchmarks).
   */
  sparseInput?: SparseInput;
  /** Called after each step with its loss (cheap: no allocation). */
  onStep?: (iteration: number, loss: number) => void;
  /**
   * Called after each evaluation; returning false stops training early. `progress()` captures
   * where the run is, to save with the model (see saveModel) and resume later.
   */
  onEvaluation?: (record: EvaluationRecord, progress: () => TrainProgress) => boolean | void;
  /**
   * Continue a run from a captured progress, with the same data and options, on a network whose
   * parameters and optimizer state were restored with it: the result is bit for bit the run
   * that never stopped. The network's optimizer is kept as restored.
   */
  resume?: TrainProgress;
}

/** Where a run stands at an evaluation: steps done and the batch sampler's state. */
export interface TrainProgress {
  iterations: number;
  random: number[];
  /** Shuffled epochs: the current permutation, which the next epoch reshuffles. */
  order?: Int32Array;
  /**
   * The history so far, so a resumed run's history is the whole run's: the loss of the last
   * loss.length steps (every step, unless it resumed from a progress without them) and the
   * evaluations.
   */
  loss?: Float32Array;
  evaluations?: EvaluationRecord[];
}

/**
 * The most steps one run may plan: its loss history (8 bytes a step) is allocated up front, so
 * 10^8 steps already hold 800 MB.
 */
export const MAX_STEPS = 100_000_000;

export interface EvaluationRecord {
  /** Evaluation number, 0-based (the x axis of the accuracy chart). */
  epoch: number;
  /** Steps done when it was taken. */
  iterations: number;
  train?: Evaluation;
  validation?: Evaluation;
  test?: Evaluation;
  /** Seconds since training started. */
  elapsed: number;
}

export interface TrainHistory {
  options: Required<Omit<TrainOptions, 'onStep' | 'onEvaluation' | 'optimizer' | 'resume' | 'numericalStep'>>
    & { optimizer?: OptimizerOptions; numericalStep?: number };
  /**
   * Loss of every step, before its update; a resumed run's starts with the losses its progress
   * carried (the whole run's, when it has them), so it starts at step iterations − loss.length.
   */
  loss: Float64Array;
  evaluations: EvaluationRecord[];
  /** Evaluation of the final parameters. */
  final: EvaluationRecord;
  iterations: number;
  /** Wall time of the whole run, evaluations included. */
  seconds: number;
  /** Time in training steps only, per step. */
  msPerIteration: number;
  /** How the first layer read the training set: its nonzeros only, or every input. */
  firstLayer: 'sparse' | 'dense';
}

/** Each set as { inputs, targets } (the user's own data) or { images, labels } (MNIST's names). */
export interface TrainData {
  train: DataSet;
  /** Held out from training and evaluated after each epoch, as a validation split. */
  validation?: DataSet;
  test?: DataSet;
}

export function train(net: Network, data: TrainData, options: TrainOptions = {}): TrainHistory {
  const { sets, dispose } = residentSets(net, data);
  try {
    return trainResident(net, sets, options);
  } finally {
    dispose();
  }
}

export interface AsyncTrainOptions extends TrainOptions {
  /** Give the event loop a turn every this many steps (and after every evaluation). Default 25. */
  yieldEvery?: number;
  /**
   * Asked at every turn; false stops training (the history so far is returned). May return a
   * promise, which is how a caller pauses: resolve it when training should go on.
   */
  control?: () => boolean | Promise<boolean>;
}

/**
 * train() that hands the event loop a turn every few steps, for a browser worker that must
 * answer messages (pause, stop, predict) while it trains. Same results as train().
 */
export async function trainAsync(net: Network, data: TrainData, options: AsyncTrainOptions = {}): Promise<TrainHistory> {
  const { sets, dispose } = residentSets(net, data);
  try {
    let stop = false;
    const loop = trainLoop(net, sets, options, options.yieldEvery ?? 25, () => stop);
    for (let turn = loop.next(); ; turn = loop.next()) {
      if (turn.done) return turn.value;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (options.control && !(await options.control())) stop = true;
    }
  } finally {
    dispose();
  }
}

/** Copies the datasets into linear memory for the duration of a run. */
function residentSets(net: Network, data: TrainData): { sets: ResidentData; dispose: () => void } {
  const held: ResidentDataset[] = [];
  const resident = (set: DataSet | undefined, what: string) => {
    if (!set) return undefined;
    const dataset = new ResidentDataset(net, set, what);
    held.push(dataset);
    return dataset;
  };
  const dispose = () => held.forEach((dataset) => dataset.dispose());
  try {
    const train = resident(data.train, 'training set')!;
    return { sets: { train, validation: resident(data.validation, 'validation set'), test: resident(data.test, 'test set') }, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

export interface ResidentData {
  train: ResidentDataset;
  validation?: ResidentDataset;
  test?: ResidentDataset;
}

export function trainResident(net: Network, sets: ResidentData, options: TrainOptions = {}): TrainHistory {
  const loop = trainLoop(net, sets, options, Infinity, () => false);
  for (let turn = loop.next(); ; turn = loop.next()) if (turn.done) return turn.value;
}

// Networks in a run: two runs interleaving steps on one network would corrupt both.
const training = new WeakSet<Network>();

/**
 * The loop itself, as a generator: it yields after every `yieldEvery` steps and after every
 * evaluation, so a driver can interleave other work (trainAsync) or run it straight through.
 */
function* trainLoop(
  net: Network, sets: ResidentData, options: TrainOptions, yieldEvery: number, stopRequested: () => boolean,
): Generator<void, TrainHistory> {
  if (training.has(net)) throw new SimdnetError('this network is already training: one run at a time per network');
  training.add(net);
  try {
    return yield* runLoop(net, sets, options, yieldEvery, stopRequested);
  } finally {
    training.delete(net);
  }
}

function* runLoop(
  net: Network, sets: ResidentData, options: TrainOptions, yieldEvery: number, stopRequested: () => boolean,
): Generator<void, TrainHistory> {
  const trainSet = sets.train;
  const resolved = resolveOptions(options, trainSet.count);
  const { learningRate, batchSize, sampling } = resolved;
  const resume = options.resume;
  const random = resume ? Random.fromState(resume.random) : new Random(resolved.seed);
  const numerical = resolved.gradient === 'numerical'
    ? new NumericalGradientStep(net, trainSet, batchSize, resolved.numericalStep, resume ? undefined : options.optimizer)
    : undefined;
  if (options.optimizer && !resume) net.useOptimizer(options.optimizer);
  // The batch indices and the step's loss live in linear memory. Their views are fetched at
  // every use, never kept: a callback, or another run between two turns, may grow the memory,
  // which detaches every view made before.
  net.ensureRows(batchSize);
  // The numerical step draws its batches into its own (JS) index buffer.
  const batchIndices = () => (numerical ? numerical.indices : net.batchIndices());

  const started = performance.now();
  let stepMs = 0;
  const stepsPerEpoch = resolved.dropLast ? Math.floor(trainSet.count / batchSize) : Math.ceil(trainSet.count / batchSize);
  const plannedSteps = sampling === 'with-replacement' ? resolved.iterations : resolved.epochs * stepsPerEpoch;
  if (plannedSteps === 0) {
    throw new ValueError(`no steps to train: with dropLast, a batch of ${batchSize} is larger than the ${trainSet.count} training rows`);
  }
  if (plannedSteps > MAX_STEPS) throw new ValueError(`${plannedSteps} steps planned: a run may plan at most ${MAX_STEPS}`);
  const loss = new Float64Array(plannedSteps); // filled in place: the step loop allocates nothing
  const firstIteration = resume?.iterations ?? 0;
  const resumedLoss = resume?.loss ?? new Float32Array(0);
  if (resume && !(Number.isSafeInteger(firstIteration) && firstIteration >= 0 && firstIteration <= plannedSteps)) {
    throw new ValueError(`cannot resume at iteration ${firstIteration}: this run plans ${plannedSteps} steps`);
  }
  if (resume && resumedLoss.length > firstIteration) {
    throw new ValueError(`the resume point holds ${resumedLoss.length} step losses, more than its ${firstIteration} iterations`);
  }
  const lossStart = firstIteration - resumedLoss.length;
  loss.set(resumedLoss, lossStart);
  const evaluations: EvaluationRecord[] = (resume?.evaluations ?? []).map((record) => ({ ...record }));
  let iterations = firstIteration;
  let stopped = false;
  const order = sampling === 'shuffled-epochs'
    ? resume?.order ? Int32Array.from(resume.order) : Int32Array.from({ length: trainSet.count }, (_, i) => i)
    : undefined;
  if (resume && (!Number.isInteger(firstIteration) || firstIteration < 0 || firstIteration > plannedSteps
    || (order && (order.length !== trainSet.count || firstIteration % stepsPerEpoch !== 0)))) {
    throw new ValueError(`cannot resume at iteration ${firstIteration}: it does not fit this data and these options`);
  }
  // The saved order indexes the training set inside wasm: anything but a permutation of its
  // rows would make the step gather other memory.
  if (order && resume?.order) checkPermutation(order, 'the saved shuffled-epoch order');
  const progress = (): TrainProgress => ({
    iterations, random: random.getState(), order: order?.slice(),
    loss: Float32Array.from(loss.subarray(lossStart, iterations)), evaluations: evaluations.map((record) => ({ ...record })),
  });

  // Which sets the first layer reads sparsely, decided once per set from its density.
  const sparseTrain = sparseRows(net, trainSet, resolved.sparseInput, 'weightGradient');
  sparseTrain?.gradientScratch(batchSize); // before the first step, which must allocate nothing
  const sparseEval = new Map([trainSet, sets.validation, sets.test].filter((set) => set)
    .map((set) => [set!, sparseRows(net, set!, resolved.sparseInput, 'forward')]));
  const measure = (set: ResidentDataset | undefined) => set && net.evaluateResident(set.inputs, set.targets, set.count, sparseEval.get(set));
  const evaluate = (): EvaluationRecord => ({
    epoch: sampling === 'with-replacement'
      ? Math.floor((iterations - 1) / resolved.evaluateEvery)
      : Math.ceil(iterations / stepsPerEpoch) - 1,
    iterations,
    train: resolved.evaluateTrain ? measure(trainSet) : undefined,
    validation: measure(sets.validation),
    test: measure(sets.test),
    elapsed: (performance.now() - started) / 1000,
  });
  const rateAt = (step: number): number => {
    const schedule = resolved.schedule;
    if (schedule === 'constant') return learningRate;
    if (schedule === 'cosine') return 0.5 * learningRate * (1 + Math.cos((Math.PI * step) / plannedSteps));
    return learningRate * schedule.gamma ** Math.floor(step / schedule.stepEvery);
  };
  const record = () => {
    const entry = evaluate();
    for (const set of ['train', 'validation', 'test'] as const) {
      const measured = entry[set]?.loss;
      // The last step's loss was finite but its update was not: its parameters are not finite.
      if (measured !== undefined && !Number.isFinite(measured)) throw new DivergenceError(iterations, `the ${set} loss is ${measured}`);
    }
    evaluations.push(entry);
    if (options.onEvaluation?.(entry, progress) === false) stopped = true;
  };
  const step = (rows: number) => {
    const t0 = performance.now();
    const rate = rateAt(iterations);
    // A step schedule's rate can overflow (gamma > 1) before any loss shows it.
    if (!Number.isFinite(rate)) throw new DivergenceError(iterations + 1, `the learning rate is ${rate}`);
    let stepLoss: number;
    if (numerical) stepLoss = numerical.run(rows, rate);
    else {
      net.trainStepResident(trainSet.inputs, trainSet.targets, rows, rate, sparseTrain);
      stepLoss = net.stepLoss()[0];
    }
    // The loss is a number the loop reads anyway: checking it costs no allocation.
    if (!Number.isFinite(stepLoss)) throw new DivergenceError(iterations + 1, `the step loss is ${stepLoss}`);
    stepMs += performance.now() - t0;
    loss[iterations++] = stepLoss;
    options.onStep?.(iterations, stepLoss);
    if (stopRequested()) stopped = true;
  };
  const turnDue = () => iterations % yieldEvery === 0;

  if (sampling === 'with-replacement') {
    for (let i = firstIteration; i < resolved.iterations && !stopped; i++) {
      const indices = batchIndices();
      for (let r = 0; r < batchSize; r++) indices[r] = random.int(trainSet.count);
      step(batchSize);
      // As the references: evaluate after the update of iterations 0, E, 2E, …
      if (i % resolved.evaluateEvery === 0) record();
      if (turnDue() || i % resolved.evaluateEvery === 0) yield;
    }
  } else {
    for (let epoch = firstIteration / stepsPerEpoch; epoch < resolved.epochs && !stopped; epoch++) {
      random.shuffle(order!);
      for (let start = 0; start < trainSet.count; start += batchSize) {
        const rows = Math.min(batchSize, trainSet.count - start);
        if (rows < batchSize && resolved.dropLast) break;
        batchIndices().set(order!.subarray(start, start + rows));
        step(rows);
        if (stopped) break;
        if (turnDue()) yield;
      }
      if (stopped) break;
      record();
      yield;
    }
  }

  const last = evaluations[evaluations.length - 1];
  const final = last && last.iterations === iterations ? last : evaluate();
  return {
    options: resolved,
    loss: loss.subarray(lossStart, iterations),
    evaluations,
    final,
    iterations,
    seconds: (performance.now() - started) / 1000,
    msPerIteration: iterations > firstIteration ? stepMs / (iterations - firstIteration) : 0,
    firstLayer: sparseTrain ? 'sparse' : 'dense',
  };
}

function resolveOptions(options: TrainOptions, trainCount: number): TrainHistory['options'] {
  const batchSize = options.batchSize ?? 100;
  const resolved = {
    learningRate: options.learningRate ?? 0.1,
    schedule: options.schedule ?? 'constant',
    optimizer: options.optimizer,
    gradient: options.gradient ?? 'backprop',
    sparseInput: options.sparseInput ?? defaultSparseInput(),
    numericalStep: options.numericalStep,
    evaluateTrain: options.evaluateTrain ?? true,
    batchSize,
    sampling: options.sampling ?? 'with-replacement',
    iterations: options.iterations ?? 10000,
    epochs: options.epochs ?? 1,
    dropLast: options.dropLast ?? false,
    evaluateEvery: options.evaluateEvery ?? Math.max(1, Math.ceil(trainCount / batchSize)),
    seed: options.seed ?? 0,
  };
  const positiveInteger = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new ValueError(`${name} is ${value}: must be a positive integer`);
  };
  positiveInteger('batchSize', resolved.batchSize);
  positiveInteger('iterations', resolved.iterations);
  positiveInteger('epochs', resolved.epochs);
  positiveInteger('evaluateEvery', resolved.evaluateEvery);
  if (!Number.isInteger(resolved.seed)) throw new ValueError(`seed is ${resolved.seed}: must be an integer`);
  if (!(Number.isFinite(resolved.learningRate) && resolved.learningRate > 0)) {
    throw new ValueError(`learning rate is ${resolved.learningRate}: must be a positive finite number`);
  }
  const schedule = resolved.schedule;
  if (typeof schedule === 'object'
    ? !(Number.isInteger(schedule.stepEvery) && schedule.stepEvery > 0 && schedule.gamma >= 0 && Number.isFinite(schedule.gamma))
    : schedule !== 'constant' && schedule !== 'cosine') {
    throw new ValueError(`bad schedule ${JSON.stringify(schedule)}: expected 'constant', 'cosine' or { stepEvery, gamma }`);
  }
  if (resolved.gradient !== 'backprop' && resolved.gradient !== 'numerical') {
    throw new ValueError(`unknown gradient '${resolved.gradient}': expected backprop or numerical`);
  }
  if (resolved.sampling !== 'with-replacement' && resolved.sampling !== 'shuffled-epochs') {
    throw new ValueError(`unknown sampling '${resolved.sampling}': expected with-replacement or shuffled-epochs`);
  }
  // An option of the other sampling would be silently ignored: the run would not be the one asked for.
  const ignored = resolved.sampling === 'with-replacement'
    ? (['epochs', 'dropLast'] as const).filter((name) => options[name] !== undefined && options[name] !== false)
    : (['iterations', 'evaluateEvery'] as const).filter((name) => options[name] !== undefined);
  if (ignored.length) {
    throw new ValueError(`${ignored.join(' and ')} do not apply to ${resolved.sampling} sampling (it runs ${resolved.sampling === 'with-replacement' ? 'iterations steps' : 'epochs passes'})`);
  }
  return resolved;
}

function checkPermutation(order: Int32Array, what: string): void {
  const seen = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const row = order[i];
    if (!(row >= 0 && row < order.length) || seen[row]) {
      throw new ValueError(`${what} is not a permutation of the ${order.length} training rows (entry ${i} is ${row})`);
    }
    seen[row] = 1;
  }
}

function defaultSparseInput(): SparseInput {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SIMDNET_SPARSE_INPUT;
  if (value === undefined || value === '') return 'auto';
  if (value !== 'auto' && value !== 'dense' && value !== 'sparse') {
    throw new ValueError(`SIMDNET_SPARSE_INPUT is '${value}': expected auto, dense or sparse`);
  }
  return value;
}

/**
 * The compressed rows the first layer should read for this set, or undefined for the dense path:
 * a network whose first layer is not dense always takes the dense path. 'auto' counts the set's
 * nonzeros first and compresses only below the crossover; the training set must be below both
 * products' crossovers, since its steps run the forward and the weight gradient.
 */
function sparseRows(net: Network, set: ResidentDataset, mode: SparseInput, product: FirstLayerProduct): CompressedRows | undefined {
  if (mode === 'dense' || net.layerSpecs[0].kind !== 'dense') return undefined;
  if (mode === 'sparse') return set.compress();
  const values = new Float32Array(net.runtime.arena.memory.buffer, set.inputs, set.count * net.inputSize);
  let nonzeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0 || Object.is(values[i], -0)) nonzeros++;
  const density = nonzeros / values.length;
  const build = net.runtime.kernels.build;
  const sparse = chooseFirstLayerPath(density, build, 'forward') === 'sparse'
    && (product === 'forward' || chooseFirstLayerPath(density, build, 'weightGradient') === 'sparse');
  return sparse ? set.compress() : undefined;
}
