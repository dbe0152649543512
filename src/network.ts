// A network: a sequence of typed layers (layers.ts) and a loss head, trained by fused passes in
// wasm. This class is the API (predict, loss, gradient, trainStep, …); the memory layout is the
// plan's (plan.ts), the optimizer's memory its record's (optimizer.ts), and every batch reaches
// wasm the same way: copied into the plan's INPUT and TARGETS buffers, or already resident.
import { ShapeError, SimdnetError, ValueError } from './errors.js';
import { checkInputs, targetsPerRow, writeTargets, type Targets } from './inputs.js';
import { networkGeometry, type Activation, type ImageShape, type LayerSpec, type Loss } from './layers.js';
import { OptimizerRecord, resolveOptimizer, type OptimizerOptions, type ResolvedOptimizer } from './optimizer.js';
import type { CompressedRows } from './compressed-rows.js';
import { Plan, type ParamTensor } from './plan.js';
import { Random } from './random.js';
import { sharedRuntime, type Runtime } from './runtime.js';
import type { KernelBuildChoice } from './wasm.js';

/**
 * How weights start: 'normal' is weightInitStd · N(0,1) with zero biases (the tutorials');
 * 'xavier' Glorot uniform ±√(6/(in+out)); 'he' Kaiming normal √(2/in) · N(0,1); 'pytorch'
 * nn.Linear's default, weights and biases uniform in ±1/√in. Biases are zero except for 'pytorch'.
 */
export type Init = 'normal' | 'xavier' | 'he' | 'pytorch';
export const INITS: readonly Init[] = ['normal', 'xavier', 'he', 'pytorch'];

export interface NetworkOptions {
  /** Features per input row (may be left out when inputShape is given). */
  input?: number;
  /**
   * The input rows as images [channels, height, width] in NCHW order, as conv2d and pooling
   * layers need them: a 28×28 grey image row of 784 floats is [1, 28, 28].
   */
  inputShape?: ImageShape;
  layers: LayerSpec[];
  /** Default 'softmax-cross-entropy'. */
  loss?: Loss;
  /** Weight initialization. Default 'normal'. */
  init?: Init;
  /** The standard deviation of the 'normal' init. Default 0.01, as the tutorials. */
  weightInitStd?: number;
  /** Seed of the weight initialization. Default 0. */
  seed?: number;
  /** Rows the batch buffers hold at first; larger batches grow them. Default 1024. */
  maxRows?: number;
}

/**
 * Loss and metrics of a set. Classification (softmax and binary cross-entropy) reports accuracy
 * (binary: over every label) and the correct count; regression (mse) reports mse, mae and r2.
 */
export interface Evaluation {
  loss: number;
  count: number;
  accuracy?: number;
  correct?: number;
  mse?: number;
  mae?: number;
  r2?: number;
}

export type Gradients = Record<string, Float32Array>;

/** One entry of the layer sequence, named as the tutorials' OrderedDict names them. */
export type Layer =
  | { kind: 'affine'; name: string; inputSize: number; outputSize: number; weights: string; bias: string }
  | { kind: 'convolution'; name: string; inShape: ImageShape; outShape: ImageShape; weights: string; bias: string }
  | { kind: 'max-pooling' | 'average-pooling'; name: string; inShape: ImageShape; outShape: ImageShape }
  | { kind: 'flatten'; name: string }
  | { kind: Activation; name: string }
  | { kind: 'dropout'; name: string; p: number }
  | { kind: 'softmax-with-loss' | 'sigmoid-with-loss' | 'mse-loss'; name: string };

const DEFAULT_MAX_ROWS = 1024;

export class Network {
  readonly runtime: Runtime;
  readonly inputSize: number;
  /** The input rows' image shape [channels, height, width], when the network was given one. */
  readonly inputShape: ImageShape | undefined;
  readonly outputSize: number;
  readonly layerSpecs: readonly LayerSpec[];
  readonly lossKind: Loss;
  /** Every weight and bias as a live Float32Array view; assigning copies values in. */
  readonly params: Record<string, Float32Array>;

  private planOrUndefined: Plan | undefined;
  private optimizer: OptimizerRecord | undefined;

  constructor(runtime: Runtime, options: NetworkOptions) {
    const loss = options.loss ?? 'softmax-cross-entropy';
    const shape = options.inputShape;
    const input = options.input ?? (Array.isArray(shape) ? shape.reduce((a, b) => a * b, 1) : undefined);
    const geometry = networkGeometry(input as number, options.layers, loss, shape);
    const std = options.weightInitStd ?? 0.01;
    if (!Number.isFinite(std) || std < 0) throw new ValueError(`weightInitStd is ${std}: must be finite and >= 0`);
    const init = options.init ?? 'normal';
    if (!INITS.includes(init)) throw new ValueError(`unknown init '${init}': expected one of ${INITS.join(', ')}`);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ValueError(`seed is ${seed}: must be an integer from 0 to 2^32 − 1`);
    }
    const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new ValueError(`maxRows is ${maxRows}: must be a positive integer`);

    this.runtime = runtime;
    this.inputSize = input as number;
    this.inputShape = shape ? [shape[0], shape[1], shape[2]] : undefined;
    this.outputSize = geometry[geometry.length - 1].width;
    this.layerSpecs = options.layers.map(copyLayer);
    this.lossKind = loss;
    const plan = new Plan(runtime, this.inputSize, this.layerSpecs, geometry, loss);
    this.planOrUndefined = plan;
    try {
      plan.workspace(maxRows);
    } catch (error) {
      plan.release();
      throw error;
    }

    const params = {} as Record<string, Float32Array>;
    for (const t of plan.tensors) {
      const view = plan.tensorView(t, 'params');
      Object.defineProperty(params, t.name, {
        enumerable: true,
        // Through `this.plan`, so a disposed network throws instead of touching memory the
        // arena has handed to someone else.
        get: () => (this.plan, view.array),
        set: (values: ArrayLike<number>) => this.assignParams({ [t.name]: values }),
      });
    }
    this.params = Object.freeze(params);
    this.initialize(init, std, seed);
    // The dropout masks' generator: its own stream of the seed, apart from the init's.
    plan.randomState = new Random(seed ^ 0x9e3779b9).getState().slice(0, 4);
  }

  /** Parameter names in layout order: W1, b1, W2, b2, … */
  get paramNames(): string[] {
    return this.plan.tensors.map((t) => t.name);
  }

  paramShape(name: string): number[] {
    return [...this.tensor(name).shape];
  }

  /** The index in the layer list of the layer a parameter tensor belongs to. */
  parameterLayer(name: string): number {
    return this.tensor(name).layer;
  }

  get parameterCount(): number {
    return this.plan.tensors.reduce((sum, t) => sum + t.length, 0);
  }

  /**
   * Affine1, Sigmoid1, Affine2, …, SoftmaxWithLoss: what the wasm passes run, in order. Layers
   * with parameters are numbered together (Convolution1, Convolution2, Affine3, …), as their
   * W_k and b_k; the others after the last one before them.
   */
  get layers(): Layer[] {
    const layers: Layer[] = [];
    let learning = 0;
    let width = this.inputSize;
    const geometry = this.plan.geometry;
    for (const [l, spec] of this.layerSpecs.entries()) {
      const { inShape, shape } = geometry[l];
      if (spec.kind === 'dense') {
        learning++;
        layers.push({ kind: 'affine', name: `Affine${learning}`, inputSize: width, outputSize: spec.units, weights: `W${learning}`, bias: `b${learning}` });
      } else if (spec.kind === 'conv2d') {
        learning++;
        layers.push({ kind: 'convolution', name: `Convolution${learning}`, inShape: inShape!, outShape: shape!, weights: `W${learning}`, bias: `b${learning}` });
      } else if (spec.kind === 'maxpool2d' || spec.kind === 'avgpool2d') {
        const kind = spec.kind === 'maxpool2d' ? 'max-pooling' : 'average-pooling';
        layers.push({ kind, name: `${spec.kind === 'maxpool2d' ? 'MaxPooling' : 'AveragePooling'}${learning}`, inShape: inShape!, outShape: shape! });
      } else if (spec.kind === 'flatten') {
        layers.push({ kind: 'flatten', name: `Flatten${learning}` });
      } else if (spec.kind === 'dropout') {
        layers.push({ kind: 'dropout', name: `Dropout${learning}`, p: spec.p });
      } else if (spec.kind === 'activation') {
        const name = spec.function;
        layers.push({ kind: name, name: `${name[0].toUpperCase()}${name.slice(1)}${learning}` });
      }
      width = geometry[l].width;
    }
    const head = { 'softmax-cross-entropy': ['softmax-with-loss', 'SoftmaxWithLoss'], 'binary-cross-entropy': ['sigmoid-with-loss', 'SigmoidWithLoss'], mse: ['mse-loss', 'MeanSquaredError'] } as const;
    const [kind, name] = head[this.lossKind];
    layers.push({ kind, name });
    return layers;
  }

  /** Softmax probabilities (cross-entropy), label probabilities (binary) or values (mse), [rows×outputs]. */
  predict(x: Float32Array): Float32Array {
    const plan = this.plan;
    const rows = checkInputs(x, this.inputSize);
    const outputs = this.outputSize;
    const out = new Float32Array(rows * outputs);
    const { exports } = this.runtime.kernels;
    const block = plan.workspace().rows;
    for (let start = 0; start < rows; start += block) {
      const count = Math.min(block, rows - start);
      const { input, lossBuffer } = plan.workspace();
      new Float32Array(this.memory.buffer, input, count * this.inputSize).set(x.subarray(start * this.inputSize, (start + count) * this.inputSize));
      plan.dropoutMode(this.runtime.kernels.layout.DROPOUT_OFF);
      exports.predict(plan.offset, input, count, lossBuffer);
      out.set(new Float32Array(this.memory.buffer, lossBuffer, count * outputs), start * outputs);
    }
    return out;
  }

  /** Mean loss over the batch. */
  loss(x: Float32Array, t: Targets): number {
    return this.evaluate(x, t).loss;
  }

  /** Fraction of rows whose most probable class is the target (binary: of labels on the right side). */
  accuracy(x: Float32Array, t: Targets): number {
    const accuracy = this.evaluate(x, t).accuracy;
    if (accuracy === undefined) throw new ValueError(`accuracy is not defined for the ${this.lossKind} loss: use evaluate() for mse, mae and r2`);
    return accuracy;
  }

  /**
   * Loss and metrics in one forward pass. The batch goes through the workspace in blocks of its
   * rows, so evaluating allocates nothing in linear memory: views such as params.W1 stay valid
   * across it (a closure over net.loss can be differentiated numerically).
   */
  evaluate(x: Float32Array, t: Targets): Evaluation {
    const plan = this.plan;
    const rows = checkInputs(x, this.inputSize);
    const { exports, layout } = this.runtime.kernels;
    const perRow = targetsPerRow(t, rows, this.outputSize, this.lossKind);
    const workspace = plan.workspace();
    const sums = new Float64Array(layout.EVAL_SLOTS);
    for (let start = 0; start < rows; start += workspace.rows) {
      const count = Math.min(workspace.rows, rows - start);
      const buffer = this.memory.buffer;
      new Float32Array(buffer, workspace.input, count * this.inputSize).set(x.subarray(start * this.inputSize, (start + count) * this.inputSize));
      writeTargets(t.slice(start * perRow, (start + count) * perRow), count, this.outputSize, this.lossKind, buffer, workspace.targets);
      plan.dropoutMode(layout.DROPOUT_OFF);
      exports.evaluate(plan.offset, workspace.input, workspace.targets, count, workspace.result.offset, workspace.scratch);
      // The same f64 additions, block by block, as one evaluate() call over resident rows.
      const block = workspace.result.array;
      for (let i = 0; i < sums.length; i++) sums[i] += block[i];
    }
    return this.metrics(sums, rows);
  }

  /**
   * Advanced: evaluates rows already in linear memory (inputs f32 [rows×inputSize], targets as
   * the loss takes them), as ResidentDataset holds them; the path the trainer uses.
   */
  evaluateResident(inputs: number, targets: number, rows: number, sparse?: CompressedRows): Evaluation {
    this.plan.dropoutMode(this.runtime.kernels.layout.DROPOUT_OFF);
    return this.evaluateAsIs(inputs, targets, rows, sparse);
  }

  /** evaluateResident with dropout left as the plan has it (the numerical gradient replays masks). */
  private evaluateAsIs(inputs: number, targets: number, rows: number, sparse?: CompressedRows): Evaluation {
    const plan = this.plan;
    const workspace = plan.workspace();
    if (sparse && rows > sparse.rows) throw new ShapeError(`${rows} rows asked of ${sparse.rows} compressed rows`);
    if (sparse) this.readSparse(sparse, 0);
    try {
      this.runtime.kernels.exports.evaluate(plan.offset, inputs, targets, rows, workspace.result.offset, workspace.scratch);
    } finally {
      if (sparse) plan.dense();
    }
    return this.metrics(workspace.result.array, rows);
  }

  /** Backprop gradients of the mean loss, as fresh arrays named like params. */
  gradient(x: Float32Array, t: Targets): Gradients {
    const rows = this.stageBatch(x, t);
    const { input, targets } = this.plan.workspace();
    this.plan.dropoutMode(this.runtime.kernels.layout.DROPOUT_DRAW);
    this.runtime.kernels.exports.lossAndGradients(this.plan.offset, input, targets, rows);
    return this.copyGradients(this.plan.tensors);
  }

  /**
   * Central differences (L(θ+h) − L(θ−h)) / 2h for every parameter: the slow, obviously correct
   * reference that backprop is checked against.
   *
   * Under softmax cross-entropy the last two dense layers take the fast path in wasm
   * (numerical-gradient.ts): one base forward, then for each parameter only what depends on it
   * is recomputed, in f64, with a step of exactly ±h. Other parameters are perturbed in f32 and
   * the whole wasm forward pass runs per evaluation; there the loss is exact only to ~1e-7, so
   * h must be far larger than float64's customary 1e-4 for the difference to rise above
   * rounding. 1e-2 is the default for both.
   */
  numericalGradient(x: Float32Array, t: Targets, h = 1e-2): Gradients {
    if (!(h > 0) || !Number.isFinite(h)) throw new ValueError(`h is ${h}: must be a positive finite step`);
    const rows = this.stageBatch(x, t);
    const plan = this.plan;
    const { input, targets, scratch } = plan.workspace();
    // With dropout: one draw of masks for this batch (as a training step would), then every
    // perturbed loss with the same masks, so the difference measures the weights alone.
    const { layout } = this.runtime.kernels;
    const hasDropout = this.layerSpecs.some((layer) => layer.kind === 'dropout');
    if (hasDropout) {
      plan.dropoutMode(layout.DROPOUT_DRAW);
      this.runtime.kernels.exports.forward(plan.offset, input, rows);
    }
    plan.dropoutMode(hasDropout ? layout.DROPOUT_REUSE : layout.DROPOUT_OFF);
    const fastLayers = this.runtime.kernels.exports.numericalGradientLastLayers(plan.offset, input, targets, rows, h, scratch);
    const slowTensors = plan.tensors.slice(0, plan.tensors.length - 2 * fastLayers);
    const grads = this.copyGradients(plan.tensors.slice(slowTensors.length));
    for (const tensor of slowTensors) {
      const p = this.params[tensor.name];
      const g = new Float32Array(tensor.length);
      for (let i = 0; i < tensor.length; i++) {
        const saved = p[i];
        p[i] = saved + h;
        const plus = this.evaluateAsIs(input, targets, rows).loss;
        p[i] = saved - h;
        const minus = this.evaluateAsIs(input, targets, rows).loss;
        p[i] = saved;
        // Divide by the step actually taken: saved ± h is rounded to f32.
        g[i] = (plus - minus) / (Math.fround(saved + h) - Math.fround(saved - h));
      }
      grads[tensor.name] = g;
    }
    const ordered: Gradients = {};
    for (const tensor of plan.tensors) ordered[tensor.name] = grads[tensor.name];
    return ordered;
  }

  /**
   * One training step on the batch (forward, loss, backward, update, all in one wasm call) with
   * the optimizer in use (plain SGD unless useOptimizer was called); returns the loss before
   * the update.
   */
  trainStep(x: Float32Array, t: Targets, learningRate: number): number {
    checkLearningRate(learningRate);
    const rows = this.stageBatch(x, t);
    const workspace = this.plan.workspace();
    this.plan.dropoutMode(this.runtime.kernels.layout.DROPOUT_DRAW);
    this.runtime.kernels.exports.trainStep(this.plan.offset, workspace.input, workspace.targets, rows, learningRate);
    return workspace.stepLoss.array[0];
  }

  /**
   * Advanced: one step on the rows `batchIndices()[0..rows)` of a dataset already in linear
   * memory (ResidentDataset). The loss lands in stepLoss()[0], so the step allocates nothing,
   * not even the heap number a returned double would be.
   */
  trainStepResident(inputs: number, targets: number, rows: number, learningRate: number, sparse?: CompressedRows): void {
    const plan = this.plan;
    const workspace = plan.workspace();
    if (!Number.isInteger(rows) || rows < 1 || rows > workspace.rows) throw new ShapeError(`batch of ${rows} rows: call ensureRows first`);
    plan.dropoutMode(this.runtime.kernels.layout.DROPOUT_DRAW);
    if (sparse) this.readSparse(sparse, sparse.gradientScratch(workspace.rows));
    try {
      this.runtime.kernels.exports.trainStepGathered(plan.offset, inputs, targets, workspace.indices.offset, rows, learningRate);
    } finally {
      if (sparse) plan.dense();
    }
  }

  /** A one-element view holding the latest step's loss; valid until the next allocation. */
  stepLoss(): Float64Array {
    return this.plan.workspace().stepLoss.array;
  }

  /** The i32 buffer trainStepResident reads batch row indices from; valid until the next allocation. */
  batchIndices(): Int32Array {
    return this.plan.workspace().indices.array;
  }

  /** Makes the batch buffers hold at least `rows` rows. */
  ensureRows(rows: number): void {
    this.plan.workspace(rows);
  }

  /**
   * Makes every later training step update with this optimizer (in wasm, fused into the step)
   * instead of plain SGD. Its state (momentum buffer, Adam's moments) starts at zero.
   */
  useOptimizer(options: OptimizerOptions): ResolvedOptimizer {
    const plan = this.plan;
    const resolved = resolveOptimizer(options);
    const record = new OptimizerRecord(this.runtime, resolved, plan.paramFloats);
    this.releaseOptimizer();
    this.optimizer = record;
    plan.setOptimizer(record.offset);
    return resolved;
  }

  /** The optimizer in use (undefined: plain SGD), its step count and state, as copies. */
  optimizerState(): { options: ResolvedOptimizer; step: number; state: Float32Array[] } | undefined {
    this.plan;
    if (!this.optimizer) return undefined;
    return { options: this.optimizer.options, step: this.optimizer.step, state: this.optimizer.stateCopies() };
  }

  /** Restores what optimizerState() returned (validated first), so training resumes exactly where it stopped. */
  restoreOptimizerState(saved: { options: OptimizerOptions; step: number; state: Float32Array[] }): void {
    const plan = this.plan;
    const record = new OptimizerRecord(this.runtime, resolveOptimizer(saved.options), plan.paramFloats);
    try {
      record.restore(saved.step, saved.state);
    } catch (error) {
      record.release();
      throw error;
    }
    this.releaseOptimizer();
    this.optimizer = record;
    plan.setOptimizer(record.offset);
  }

  /** The dropout layers' random state (4 uint32 words), to save with a checkpoint. */
  dropoutState(): number[] {
    return this.plan.randomState;
  }

  /** Restores what dropoutState() returned: four uint32 words, not all zero. */
  restoreDropoutState(words: readonly number[]): void {
    const plan = this.plan;
    plan.randomState = Random.fromState(words).getState().slice(0, 4);
  }

  /**
   * Sets parameters from named arrays, all or nothing: every name, length and value is checked
   * before anything is written, so a failure leaves the network as it was.
   */
  assignParams(values: Record<string, ArrayLike<number>>, source = 'parameters'): void {
    const plan = this.plan;
    const checked: [ParamTensor, ArrayLike<number>][] = [];
    for (const [name, data] of Object.entries(values)) {
      const t = this.tensor(name);
      if (data.length !== t.length) {
        throw new ShapeError(`${source}: ${t.name} has shape [${t.shape}] (${t.length} values), got ${data.length} values`);
      }
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) throw new ValueError(`${source}: ${t.name}[${i}] is ${data[i]}: parameters must be finite`);
      }
      checked.push([t, data]);
    }
    for (const [t, data] of checked) plan.tensorView(t, 'params').array.set(data);
  }

  /** Returns the network's memory to the arena; every later call on it throws. */
  dispose(): void {
    if (!this.planOrUndefined) return;
    this.releaseOptimizer();
    this.planOrUndefined.release();
    this.planOrUndefined = undefined;
  }

  get disposed(): boolean {
    return this.planOrUndefined === undefined;
  }

  // --- internals -------------------------------------------------------------------------

  /**
   * Makes the first dense layer read the compressed rows `sparse` (the resident inputs'
   * nonzeros: the same bits in less time) until plan.dense(); `scratch` serves its weight
   * gradient (0 for a pass without backward). No closure: the step calls it.
   */
  private readSparse(sparse: CompressedRows, scratch: number): void {
    if (sparse.cols !== this.inputSize || this.layerSpecs[0].kind !== 'dense') {
      throw new ShapeError(`compressed rows of ${sparse.cols} columns cannot feed this network's first layer (${this.layerSpecs[0].kind}, ${this.inputSize} inputs)`);
    }
    this.plan.sparseInput(sparse.offset, scratch);
  }

  /** The metrics from evaluate()'s sums (assembly/layout.ts EVAL_*). */
  private metrics(sums: Float64Array, rows: number): Evaluation {
    const { layout } = this.runtime.kernels;
    const elements = this.lossKind === 'softmax-cross-entropy' ? rows : rows * this.outputSize;
    const loss = sums[layout.EVAL_LOSS_SUM] / elements;
    if (this.lossKind !== 'mse') {
      const correct = sums[layout.EVAL_CORRECT];
      return { loss, accuracy: correct / elements, correct, count: rows };
    }
    const mean = sums[layout.EVAL_TARGET_SUM] / elements;
    const totalSquares = sums[layout.EVAL_TARGET_SQUARES] - elements * mean * mean;
    return {
      loss, count: rows, mse: loss, mae: sums[layout.EVAL_ABSOLUTE_ERROR] / elements,
      r2: totalSquares > 0 ? 1 - sums[layout.EVAL_LOSS_SUM] / totalSquares : NaN,
    };
  }

  /** The plan, or a SimdnetError once the network is disposed: every entry point goes through here. */
  private get plan(): Plan {
    if (!this.planOrUndefined) throw new SimdnetError('this network was disposed');
    return this.planOrUndefined;
  }

  private get memory(): WebAssembly.Memory {
    this.plan;
    return this.runtime.arena.memory;
  }

  private releaseOptimizer(): void {
    if (!this.optimizer) return;
    this.plan.setOptimizer(0);
    this.optimizer.release();
    this.optimizer = undefined;
  }

  private tensor(name: string): ParamTensor {
    const t = this.plan.tensors.find((candidate) => candidate.name === name);
    if (!t) throw new ValueError(`no parameter '${name}': this network has ${this.paramNames.join(', ')}`);
    return t;
  }

  private initialize(init: Init, std: number, seed: number): void {
    const random = new Random(seed);
    const tensors = this.plan.tensors;
    for (let i = 0; i < tensors.length; i += 2) {
      const [fanIn, fanOut] = fans(tensors[i].shape);
      const w = this.params[tensors[i].name];
      const b = this.params[tensors[i + 1].name];
      if (init === 'normal' || init === 'he') {
        const scale = init === 'normal' ? std : Math.sqrt(2 / fanIn);
        for (let k = 0; k < w.length; k++) w[k] = scale * random.normal();
      } else {
        const bound = init === 'xavier' ? Math.sqrt(6 / (fanIn + fanOut)) : 1 / Math.sqrt(fanIn);
        for (let k = 0; k < w.length; k++) w[k] = bound * (2 * random.uniform() - 1);
        if (init === 'pytorch') for (let k = 0; k < b.length; k++) b[k] = bound * (2 * random.uniform() - 1);
      }
    }
  }

  /** Validates a batch and copies it into the INPUT and TARGETS buffers; returns its rows. */
  private stageBatch(x: Float32Array, t: Targets): number {
    const rows = checkInputs(x, this.inputSize);
    const { input, targets } = this.plan.workspace(rows);
    writeTargets(t, rows, this.outputSize, this.lossKind, this.memory.buffer, targets);
    new Float32Array(this.memory.buffer, input, x.length).set(x);
    return rows;
  }

  private copyGradients(tensors: readonly ParamTensor[]): Gradients {
    const grads: Gradients = {};
    for (const t of tensors) grads[t.name] = this.plan.tensorView(t, 'grads').array.slice();
    return grads;
  }
}

/** Where a factory puts a network: the kernel build, and how many threads share its passes. */
export interface RuntimeChoice {
  /** Default 'auto': the fastest build the engine supports. */
  build?: KernelBuildChoice;
  /**
   * Threads that share every pass (bit-identical results for any count). Default
   * defaultThreads(): in Node the available parallelism (at most 8), in a browser 1 unless the
   * page is cross-origin isolated and this runs in a worker.
   */
  threads?: number;
}

/** A network on the process-wide runtime of the chosen kernel build and thread count. */
export async function createNetwork(options: NetworkOptions & RuntimeChoice): Promise<Network> {
  return new Network(await sharedRuntime(options.build, options.threads), options);
}

/** A copy of a layer descriptor that shares no array with the caller's. */
function copyLayer(layer: LayerSpec): LayerSpec {
  return 'kernel' in layer && Array.isArray(layer.kernel) ? { ...layer, kernel: [layer.kernel[0], layer.kernel[1]] } : { ...layer };
}

/**
 * A weight tensor's fan-in and fan-out as PyTorch's init counts them: dense W [in, out] as is;
 * conv2d W [out, in, kh, kw] has in·kh·kw inputs and out·kh·kw outputs per weight.
 */
function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape[2] * shape[3];
  return [shape[1] * receptive, shape[0] * receptive];
}

function checkLearningRate(lr: number): void {
  if (!Number.isFinite(lr) || lr <= 0) throw new ValueError(`learning rate is ${lr}: must be a positive finite number`);
}

