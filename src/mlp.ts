// A multilayer perceptron: dense layers with an activation between them and softmax
// cross-entropy at the end, the references' Affine → Sigmoid/Relu → … → SoftmaxWithLoss.
//
// Every tensor is a view into the runtime's linear memory, carved out of three arena blocks:
//   parameters  W1 b1 W2 b2 …   one block, so an optimizer updates all of them in one call
//   gradients   dW1 db1 …       the same layout, so "update" is params −= lr·grads over a block
//   workspace   per layer OUTPUT and DELTA [maxRows×out], the INPUT batch, LABELS, the Wᵀ scratch
// and a "plan" that tells the wasm passes where each layer's tensors are.
import { f32View, i32View, LiveView } from './arena.js';
import { ShapeError, SimdnetError, ValueError } from './errors.js';
import { checkInputs, labelsToIndices, type Targets } from './inputs.js';
import { resolveOptimizer, type OptimizerOptions, type ResolvedOptimizer } from './optimizer.js';
import { Random } from './random.js';
import { sharedRuntime, type Runtime } from './runtime.js';
import type { KernelBuildChoice } from './wasm.js';

export type Activation = 'sigmoid' | 'relu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'tanh'];

/**
 * How weights start: 'normal' is the references' weightInitStd · N(0,1) with zero biases;
 * 'xavier' Glorot uniform ±√(6/(in+out)); 'he' Kaiming normal √(2/in) · N(0,1); 'pytorch'
 * nn.Linear's default, weights and biases uniform in ±1/√in. Biases are zero except for 'pytorch'.
 */
export type Init = 'normal' | 'xavier' | 'he' | 'pytorch';
export const INITS: readonly Init[] = ['normal', 'xavier', 'he', 'pytorch'];

export interface MlpOptions {
  /** Layer widths from input to output, e.g. [784, 100, 10]. */
  sizes: number[];
  /** Activation of every hidden layer, or one per hidden layer. Default 'relu'. */
  activation?: Activation | Activation[];
  /** Weight initialization. Default 'normal'. */
  init?: Init;
  /** The standard deviation of the 'normal' init. Default 0.01, as the references. */
  weightInitStd?: number;
  /** Seed of the weight initialization. Default 0. */
  seed?: number;
  /** Rows the batch buffers hold at first; larger batches grow them. Default 1024. */
  maxRows?: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  correct: number;
  count: number;
}

export type Gradients = Record<string, Float32Array>;

/** One entry of the layer sequence, named as the references' OrderedDict names them. */
export type Layer =
  | { kind: 'affine'; name: string; inputSize: number; outputSize: number; weights: string; bias: string }
  | { kind: Activation; name: string }
  | { kind: 'softmax-with-loss'; name: 'SoftmaxWithLoss' };

interface ParamTensor {
  name: string;
  shape: number[];
  offset: number; // byte offset inside the parameter (and gradient) block
  length: number;
}

const DEFAULT_MAX_ROWS = 1024;

export class MLP {
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  readonly runtime: Runtime;
  /** Every weight and bias as a live Float32Array view; assigning copies values in. */
  readonly params: Record<string, Float32Array>;

  private readonly tensors: ParamTensor[];
  private readonly paramFloats: number;
  private readonly planOffset: number;
  private readonly paramsOffset: number;
  private readonly gradsOffset: number;
  private workspaceOffset = -1;
  private maxRows = 0;
  private readonly plan: LiveView<Int32Array>;
  private readonly paramViews = new Map<string, LiveView<Float32Array>>();
  private disposed = false;

  constructor(runtime: Runtime, options: MlpOptions) {
    const sizes = options.sizes;
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new ValueError('sizes must list at least an input and an output width, e.g. [784, 100, 10]');
    }
    sizes.forEach((size, i) => {
      if (!Number.isInteger(size) || size < 1) {
        throw new ValueError(`layer size ${i} is ${size}: every size must be a positive integer`);
      }
    });
    if (sizes[sizes.length - 1] < 2) throw new ValueError('the output layer needs at least 2 classes');
    const hidden = sizes.length - 2;
    const activation = options.activation ?? 'relu';
    const activations = Array.isArray(activation) ? activation : new Array<Activation>(hidden).fill(activation);
    if (activations.length !== hidden) {
      throw new ValueError(`${activations.length} activations given for ${hidden} hidden layers`);
    }
    for (const a of activations) {
      if (!ACTIVATIONS.includes(a)) {
        throw new ValueError(`unknown activation '${a}': expected one of ${ACTIVATIONS.join(', ')}`);
      }
    }
    const std = options.weightInitStd ?? 0.01;
    if (!Number.isFinite(std) || std < 0) throw new ValueError(`weightInitStd is ${std}: must be finite and >= 0`);
    const init = options.init ?? 'normal';
    if (!INITS.includes(init)) throw new ValueError(`unknown init '${init}': expected one of ${INITS.join(', ')}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new ValueError(`seed is ${seed}: must be an integer`);

    this.runtime = runtime;
    this.sizes = [...sizes];
    this.activations = [...activations];

    // Each tensor starts on a 16-byte boundary so the kernels' vector loads stay aligned.
    this.tensors = [];
    let floats = 0;
    for (let l = 0; l < sizes.length - 1; l++) {
      for (const [name, shape] of [[`W${l + 1}`, [sizes[l], sizes[l + 1]]], [`b${l + 1}`, [sizes[l + 1]]]] as const) {
        const length = shape.reduce((a, b) => a * b, 1);
        this.tensors.push({ name, shape: [...shape], offset: floats * 4, length });
        floats += Math.ceil(length / 4) * 4;
      }
    }
    this.paramFloats = floats;

    const { arena, kernels } = runtime;
    const layout = kernels.layout;
    const layers = sizes.length - 1;
    this.planOffset = arena.alloc((layout.PLAN_HEADER_WORDS + layers * layout.LAYER_WORDS) * 4);
    this.paramsOffset = arena.alloc(floats * 4);
    this.gradsOffset = arena.alloc(floats * 4);
    this.plan = i32View(arena.memory, this.planOffset, layout.PLAN_HEADER_WORDS + layers * layout.LAYER_WORDS);

    const params = {} as Record<string, Float32Array>;
    for (const t of this.tensors) {
      const view = f32View(arena.memory, this.paramsOffset + t.offset, t.length);
      this.paramViews.set(t.name, view);
      Object.defineProperty(params, t.name, {
        enumerable: true,
        get: () => view.array,
        set: (values: ArrayLike<number>) => this.setParam(t, values),
      });
    }
    this.params = Object.freeze(params);
    this.writePlanHeader();
    this.ensureRows(options.maxRows ?? DEFAULT_MAX_ROWS);

    const random = new Random(seed);
    for (let l = 0; l < sizes.length - 1; l++) {
      const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
      const w = this.params[`W${l + 1}`];
      const b = this.params[`b${l + 1}`];
      if (init === 'normal' || init === 'he') {
        const scale = init === 'normal' ? std : Math.sqrt(2 / fanIn);
        for (let i = 0; i < w.length; i++) w[i] = scale * random.normal();
      } else {
        const bound = init === 'xavier' ? Math.sqrt(6 / (fanIn + fanOut)) : 1 / Math.sqrt(fanIn);
        for (let i = 0; i < w.length; i++) w[i] = bound * (2 * random.uniform() - 1);
        if (init === 'pytorch') for (let i = 0; i < b.length; i++) b[i] = bound * (2 * random.uniform() - 1);
      }
    }
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Affine1, Sigmoid1, Affine2, …, SoftmaxWithLoss: what the wasm passes run, in order. */
  get layers(): Layer[] {
    const layers: Layer[] = [];
    for (let l = 0; l < this.sizes.length - 1; l++) {
      layers.push({
        kind: 'affine', name: `Affine${l + 1}`, inputSize: this.sizes[l], outputSize: this.sizes[l + 1],
        weights: `W${l + 1}`, bias: `b${l + 1}`,
      });
      const activation = this.activations[l];
      if (activation) layers.push({ kind: activation, name: `${activation[0].toUpperCase()}${activation.slice(1)}${l + 1}` });
    }
    layers.push({ kind: 'softmax-with-loss', name: 'SoftmaxWithLoss' });
    return layers;
  }

  /** Parameter names in layout order: W1, b1, W2, b2, … */
  get paramNames(): string[] {
    return this.tensors.map((t) => t.name);
  }

  paramShape(name: string): number[] {
    return [...this.tensor(name).shape];
  }

  get parameterCount(): number {
    return this.tensors.reduce((sum, t) => sum + t.length, 0);
  }

  /** Softmax probabilities [rows×classes] for x [rows×inputSize]. */
  predict(x: Float32Array): Float32Array {
    const rows = checkInputs(x, this.inputSize);
    const classes = this.outputSize;
    const out = new Float32Array(rows * classes);
    const { exports } = this.runtime.kernels;
    const block = this.maxRows;
    for (let start = 0; start < rows; start += block) {
      const count = Math.min(block, rows - start);
      const input = this.stage(x.subarray(start * this.inputSize, (start + count) * this.inputSize));
      const logits = exports.forward(this.planOffset, input, count);
      softmaxRows(new Float32Array(this.memory.buffer, logits, count * classes), classes, out, start * classes);
    }
    return out;
  }

  /** Mean softmax cross-entropy loss over the batch. */
  loss(x: Float32Array, t: Targets): number {
    return this.evaluate(x, t).loss;
  }

  /** Fraction of rows whose most probable class is the target. */
  accuracy(x: Float32Array, t: Targets): number {
    return this.evaluate(x, t).accuracy;
  }

  /** Loss and accuracy in one forward pass, in blocks inside wasm. */
  evaluate(x: Float32Array, t: Targets): Evaluation {
    return this.withResident(x, t, (images, labels, rows) => this.evaluateResident(images, labels, rows));
  }

  /**
   * Evaluates rows already in linear memory (images f32 [rows×inputSize], labels i32 [rows]):
   * the path the trainer uses for the full train and test sets.
   */
  evaluateResident(images: number, labels: number, rows: number): Evaluation {
    const { exports, layout } = this.runtime.kernels;
    const result = this.workspace.result;
    exports.evaluate(this.planOffset, images, labels, rows, result);
    const view = new DataView(this.memory.buffer);
    const lossSum = view.getFloat64(result + layout.EVAL_LOSS_SUM_OFFSET, true);
    const correct = view.getInt32(result + layout.EVAL_CORRECT_OFFSET, true);
    return { loss: lossSum / rows, accuracy: correct / rows, correct, count: rows };
  }

  /** Backprop gradients of the mean loss, as fresh arrays named like params. */
  gradient(x: Float32Array, t: Targets): Gradients {
    const rows = this.stageBatch(x, t);
    this.runtime.kernels.exports.lossAndGradients(this.planOffset, this.workspace.input, this.workspace.labels, rows);
    return this.copyGradients();
  }

  /**
   * Central differences (L(θ+h) − L(θ−h)) / 2h for every parameter: the slow, obviously correct
   * reference that backprop is checked against.
   *
   * The last two layers take the fast path in wasm (numerical-gradient.ts): one base forward,
   * then for each parameter only what depends on it is recomputed, in f64, with a step of
   * exactly ±h. Earlier layers of deeper networks perturb the f32 weight and run the whole
   * wasm forward pass per evaluation; there the loss is exact only to ~1e-7, so h must be far
   * larger than float64's customary 1e-4 for the difference to rise above rounding. 1e-2 is the
   * default for both.
   */
  numericalGradient(x: Float32Array, t: Targets, h = 1e-2): Gradients {
    if (!(h > 0) || !Number.isFinite(h)) throw new ValueError(`h is ${h}: must be a positive finite step`);
    const rows = this.stageBatch(x, t);
    const { input, labels } = this.workspace;
    const grads: Gradients = {};
    const fastFrom = Math.max(0, this.sizes.length - 3); // first layer of the fast path
    for (const tensor of this.tensors.slice(0, 2 * fastFrom)) {
      const p = this.params[tensor.name];
      const g = new Float32Array(tensor.length);
      for (let i = 0; i < tensor.length; i++) {
        const saved = p[i];
        p[i] = saved + h;
        const plus = this.evaluateResident(input, labels, rows).loss;
        p[i] = saved - h;
        const minus = this.evaluateResident(input, labels, rows).loss;
        p[i] = saved;
        // Divide by the step actually taken: saved ± h is rounded to f32.
        g[i] = (plus - minus) / (Math.fround(saved + h) - Math.fround(saved - h));
      }
      grads[tensor.name] = g;
    }
    const scratch = this.runtime.arena.alloc(this.outputSize * 8);
    try {
      this.runtime.kernels.exports.numericalGradientLastLayers(this.planOffset, input, labels, rows, h, scratch);
    } finally {
      this.runtime.arena.release(scratch);
    }
    const fast = this.copyGradients();
    for (const tensor of this.tensors.slice(2 * fastFrom)) grads[tensor.name] = fast[tensor.name];
    return grads;
  }

  /**
   * One training step on the batch (forward, loss, backward, update, all in one wasm call) with
   * the optimizer in use (plain SGD unless useOptimizer was called); returns the loss before
   * the update.
   */
  trainStep(x: Float32Array, t: Targets, learningRate: number): number {
    checkLearningRate(learningRate);
    const rows = this.stageBatch(x, t);
    this.runtime.kernels.exports.trainStep(this.planOffset, this.workspace.input, this.workspace.labels, rows, learningRate);
    return this.lossSlot.array[0];
  }

  /**
   * One SGD step on the rows `indices` of a dataset already in linear memory. The indices live
   * in the network's index buffer (see batchIndices) and the loss lands in stepLoss()[0], so the
   * step allocates nothing, not even the heap number a returned double would be.
   */
  trainStepResident(images: number, labels: number, rows: number, learningRate: number): void {
    if (rows < 1 || rows > this.maxRows) throw new ShapeError(`batch of ${rows} rows: call ensureRows first`);
    this.runtime.kernels.exports.trainStepGathered(this.planOffset, images, labels, this.workspace.indices, rows, learningRate);
  }

  /** A one-element view holding the loss of the latest training step. */
  stepLoss(): Float64Array {
    return this.lossSlot.array;
  }

  /** The i32 buffer trainStepResident reads batch row indices from (maxRows long). */
  batchIndices(): Int32Array {
    return new Int32Array(this.memory.buffer, this.workspace.indices, this.maxRows);
  }

  /** Makes the batch buffers hold at least `rows` rows. */
  ensureRows(rows: number): void {
    if (rows <= this.maxRows) return;
    const { arena } = this.runtime;
    const layout = this.runtime.kernels.layout;
    if (this.workspaceOffset >= 0) arena.release(this.workspaceOffset);
    const layers = this.sizes.length - 1;
    // Byte sizes, each rounded up to 16 so every buffer starts aligned.
    const pad = (bytes: number) => Math.ceil(bytes / 16) * 16;
    let bytes = 0;
    const place = (size: number) => {
      const at = bytes;
      bytes += pad(size);
      return at;
    };
    const outputs: number[] = [];
    const deltas: number[] = [];
    for (let l = 0; l < layers; l++) {
      outputs.push(place(rows * this.sizes[l + 1] * 4));
      deltas.push(place(rows * this.sizes[l + 1] * 4));
    }
    const input = place(rows * this.inputSize * 4);
    const labels = place(rows * 4);
    const indices = place(rows * 4);
    let packFloats = 0;
    for (let l = 1; l < layers; l++) packFloats = Math.max(packFloats, this.sizes[l] * this.sizes[l + 1]);
    const pack = place(Math.max(packFloats, 1) * 4);
    const result = place(16);
    const loss = place(8);
    const base = arena.alloc(bytes);
    this.workspaceOffset = base;
    this.maxRows = rows;
    this.workspace = {
      input: base + input, labels: base + labels, indices: base + indices, result: base + result,
    };
    this.lossSlot = new LiveView(arena.memory, base + loss, 1, (b, o, n) => new Float64Array(b, o, n));

    const plan = this.plan.array;
    plan[layout.PLAN_MAX_ROWS] = rows;
    plan[layout.PLAN_INPUT] = base + input;
    plan[layout.PLAN_LABELS] = base + labels;
    plan[layout.PLAN_PACK] = base + pack;
    plan[layout.PLAN_LOSS] = base + loss;
    for (let l = 0; l < layers; l++) {
      const record = layout.PLAN_HEADER_WORDS + l * layout.LAYER_WORDS;
      plan[record + layout.LAYER_OUTPUT] = base + outputs[l];
      plan[record + layout.LAYER_DELTA] = base + deltas[l];
    }
  }

  /**
   * Makes every later training step update with this optimizer (in wasm, fused into the step)
   * instead of plain SGD. Its state (momentum buffer, Adam's moments) starts at zero.
   */
  useOptimizer(options: OptimizerOptions): ResolvedOptimizer {
    const resolved = resolveOptimizer(options);
    this.releaseOptimizer();
    const { arena, kernels } = this.runtime;
    const layout = kernels.layout;
    const bytes = this.paramFloats * 4;
    const record = arena.alloc(layout.OPT_SLOTS * 8);
    const state1 = arena.alloc(bytes);
    const state2 = resolved.type === 'sgd' ? 0 : arena.alloc(bytes);
    const slots = new Float64Array(arena.memory.buffer, record, layout.OPT_SLOTS);
    slots[layout.OPT_KIND] = resolved.type === 'sgd' ? layout.OPTIMIZER_SGD : layout.OPTIMIZER_ADAM;
    slots[layout.OPT_MOMENTUM] = resolved.momentum;
    slots[layout.OPT_NESTEROV] = resolved.nesterov ? 1 : 0;
    slots[layout.OPT_WEIGHT_DECAY] = resolved.weightDecay;
    slots[layout.OPT_BETA1] = resolved.betas[0];
    slots[layout.OPT_BETA2] = resolved.betas[1];
    slots[layout.OPT_EPS] = resolved.eps;
    slots[layout.OPT_DECOUPLED] = resolved.type === 'adamw' ? 1 : 0;
    slots[layout.OPT_STEP] = 0;
    slots[layout.OPT_STATE1] = state1;
    slots[layout.OPT_STATE2] = state2;
    this.optimizer = { resolved, record, state1, state2 };
    this.plan.array[layout.PLAN_OPTIMIZER] = record;
    return resolved;
  }

  /** The optimizer in use (undefined: plain SGD), its step count and state, as copies. */
  optimizerState(): { options: ResolvedOptimizer; step: number; state: Float32Array[] } | undefined {
    if (!this.optimizer) return undefined;
    const { resolved, record, state1, state2 } = this.optimizer;
    const layout = this.runtime.kernels.layout;
    const buffer = this.memory.buffer;
    const state = [state1, state2].filter((at) => at).map((at) => new Float32Array(buffer, at, this.paramFloats).slice());
    return { options: resolved, step: new Float64Array(buffer, record, layout.OPT_SLOTS)[layout.OPT_STEP], state };
  }

  /** Restores what optimizerState() returned, so training resumes exactly where it stopped. */
  restoreOptimizerState(saved: { options: OptimizerOptions; step: number; state: Float32Array[] }): void {
    const resolved = this.useOptimizer(saved.options);
    const { record, state1, state2 } = this.optimizer!;
    const layout = this.runtime.kernels.layout;
    const targets = [state1, state2].filter((at) => at);
    if (saved.state.length !== targets.length || saved.state.some((s) => s.length !== this.paramFloats)) {
      throw new ShapeError(`optimizer state does not fit ${resolved.type} on this network (${this.paramFloats} floats per buffer)`);
    }
    const buffer = this.memory.buffer;
    targets.forEach((at, i) => new Float32Array(buffer, at, this.paramFloats).set(saved.state[i]));
    new Float64Array(buffer, record, layout.OPT_SLOTS)[layout.OPT_STEP] = saved.step;
  }

  /** Returns the network's memory to the arena; the network is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseOptimizer();
    this.disposed = true;
    const { arena } = this.runtime;
    arena.release(this.workspaceOffset);
    arena.release(this.gradsOffset);
    arena.release(this.paramsOffset);
    arena.release(this.planOffset);
  }

  // --- internals -------------------------------------------------------------------------

  private workspace = { input: 0, labels: 0, indices: 0, result: 0 };
  private optimizer: { resolved: ResolvedOptimizer; record: number; state1: number; state2: number } | undefined;

  private releaseOptimizer(): void {
    if (!this.optimizer) return;
    const { arena } = this.runtime;
    for (const at of [this.optimizer.record, this.optimizer.state1, this.optimizer.state2]) if (at) arena.release(at);
    this.optimizer = undefined;
    this.plan.array[this.runtime.kernels.layout.PLAN_OPTIMIZER] = 0;
  }
  private lossSlot!: LiveView<Float64Array>;

  private get memory(): WebAssembly.Memory {
    if (this.disposed) throw new SimdnetError('this network was disposed');
    return this.runtime.arena.memory;
  }

  private tensor(name: string): ParamTensor {
    const t = this.tensors.find((candidate) => candidate.name === name);
    if (!t) throw new ValueError(`no parameter '${name}': this network has ${this.paramNames.join(', ')}`);
    return t;
  }

  private setParam(t: ParamTensor, values: ArrayLike<number>): void {
    if (values.length !== t.length) {
      throw new ShapeError(`${t.name} has shape [${t.shape}] (${t.length} values), got ${values.length} values`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new ValueError(`${t.name}[${i}] is ${values[i]}: parameters must be finite`);
    }
    this.paramViews.get(t.name)!.array.set(values);
  }

  private writePlanHeader(): void {
    const layout = this.runtime.kernels.layout;
    const plan = this.plan.array;
    const layers = this.sizes.length - 1;
    plan[layout.PLAN_LAYER_COUNT] = layers;
    plan[layout.PLAN_PARAMS] = this.paramsOffset;
    plan[layout.PLAN_GRADS] = this.gradsOffset;
    plan[layout.PLAN_PARAM_COUNT] = this.paramFloats;
    const codes: Record<Activation | 'identity', number> = {
      identity: layout.ACTIVATION_IDENTITY, sigmoid: layout.ACTIVATION_SIGMOID, relu: layout.ACTIVATION_RELU,
      tanh: layout.ACTIVATION_TANH,
    };
    for (let l = 0; l < layers; l++) {
      const record = layout.PLAN_HEADER_WORDS + l * layout.LAYER_WORDS;
      const weights = this.tensors[2 * l];
      const bias = this.tensors[2 * l + 1];
      plan[record + layout.LAYER_IN] = this.sizes[l];
      plan[record + layout.LAYER_OUT] = this.sizes[l + 1];
      plan[record + layout.LAYER_ACTIVATION] = codes[l < layers - 1 ? this.activations[l] : 'identity'];
      plan[record + layout.LAYER_WEIGHTS] = this.paramsOffset + weights.offset;
      plan[record + layout.LAYER_BIAS] = this.paramsOffset + bias.offset;
      plan[record + layout.LAYER_WEIGHT_GRAD] = this.gradsOffset + weights.offset;
      plan[record + layout.LAYER_BIAS_GRAD] = this.gradsOffset + bias.offset;
    }
  }

  /** Validates a batch and copies it into the INPUT and LABELS buffers; returns its rows. */
  private stageBatch(x: Float32Array, t: Targets): number {
    const rows = checkInputs(x, this.inputSize);
    this.ensureRows(rows);
    const { input, labels } = this.workspace;
    labelsToIndices(t, rows, this.outputSize, new Int32Array(this.memory.buffer, labels, rows));
    new Float32Array(this.memory.buffer, input, x.length).set(x);
    return rows;
  }

  /** Copies at most maxRows rows into INPUT (already validated); returns the address. */
  private stage(x: Float32Array): number {
    if (x.buffer === this.memory.buffer) return x.byteOffset;
    new Float32Array(this.memory.buffer, this.workspace.input, x.length).set(x);
    return this.workspace.input;
  }

  /** Runs `fn` on x and t placed in linear memory for the duration of the call. */
  private withResident<T>(x: Float32Array, t: Targets, fn: (images: number, labels: number, rows: number) => T): T {
    const rows = checkInputs(x, this.inputSize);
    const { arena } = this.runtime;
    // x may itself be a view of linear memory: use it in place. Decide before allocating,
    // since growing the memory would detach it.
    const residentAt = x.buffer === this.memory.buffer ? x.byteOffset : -1;
    const images = residentAt >= 0 ? -1 : arena.alloc(x.length * 4);
    if (images >= 0) new Float32Array(this.memory.buffer, images, x.length).set(x);
    const labels = arena.alloc(rows * 4);
    try {
      labelsToIndices(t, rows, this.outputSize, new Int32Array(this.memory.buffer, labels, rows));
      return fn(images >= 0 ? images : residentAt, labels, rows);
    } finally {
      arena.release(labels);
      if (images >= 0) arena.release(images);
    }
  }

  private copyGradients(): Gradients {
    const grads: Gradients = {};
    for (const t of this.tensors) {
      grads[t.name] = new Float32Array(this.memory.buffer, this.gradsOffset + t.offset, t.length).slice();
    }
    return grads;
  }
}

/** An MLP on the process-wide runtime of the chosen kernel build (default: the fastest supported). */
export async function createMLP(options: MlpOptions & { build?: KernelBuildChoice }): Promise<MLP> {
  return new MLP(await sharedRuntime(options.build), options);
}

function checkLearningRate(lr: number): void {
  if (!Number.isFinite(lr) || lr <= 0) throw new ValueError(`learning rate is ${lr}: must be a positive finite number`);
}

/** Row-wise softmax of logits into out[offset…] (the predict path; training fuses it in wasm). */
function softmaxRows(logits: Float32Array, classes: number, out: Float32Array, offset: number): void {
  for (let r = 0; r < logits.length / classes; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
    for (let c = 0; c < classes; c++) out[offset + r * classes + c] = Math.exp(logits[r * classes + c] - max) / sum;
  }
}
