// The host side of the plan (assembly/layout.ts): the one TypeScript module that writes plan
// words and allocates or frees a network's memory. It reads every word offset from the module,
// so the layout has a single definition, in assembly/layout.ts.
//
// A network's memory is four arena blocks, five with batch normalization:
//   plan        the header and one record per layer
//   parameters  W1 b1 W2 b2 … (dense, conv2d and batchnorm layers, in order), one block so an
//               optimizer updates all of them in one call
//   gradients   dW1 db1 …, the same layout
//   buffers     the batchnorm layers' running statistics and batch counts, which training
//               updates but no optimizer does
//   workspace   per layer OUTPUT and GRAD [maxRows×width]; the INPUT batch, TARGETS, batch
//               INDICES, the Wᵀ scratch, the convolutions' unfolded row, each max pool's argmax
//               indices, each batchnorm's batch statistics, the loss head's buffer, the
//               evaluation result and the step's loss.
//               Reallocated (at a new address) when a larger batch needs more rows.
import { f32View, LiveView } from './arena.js';
import { ShapeError, SimdnetError, ValueError } from './errors.js';
import { BUFFER_INITIAL, bufferShapes, parameterShapes, type BufferKind, type LayerGeometry, type LayerSpec, type Loss } from './layers.js';
import type { Runtime } from './runtime.js';

export interface ParamTensor {
  name: string;
  /** The index of the layer it belongs to. */
  layer: number;
  shape: number[];
  /** Byte offset inside the parameter (and gradient) block. */
  offset: number;
  length: number;
}

/** A batchnorm buffer: running_mean_k, running_var_k (f32 [channels]) or num_batches_tracked_k (one i64). */
export interface BufferTensor {
  name: string;
  layer: number;
  shape: number[];
  kind: BufferKind;
  /** Byte offset in linear memory. */
  offset: number;
  length: number;
}

/** Live views of the workspace: re-read `.array` at every use, never keep the array. */
export interface Workspace {
  rows: number;
  input: number;
  targets: number;
  indices: LiveView<Int32Array>;
  result: LiveView<Float64Array>;
  scratch: number;
  lossBuffer: number;
  stepLoss: LiveView<Float64Array>;
}

const pad16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

export class Plan {
  readonly offset: number;
  readonly params: number;
  readonly grads: number;
  /** Floats in the parameter block, each tensor padded to a 16-byte boundary. */
  readonly paramFloats: number;
  readonly tensors: readonly ParamTensor[];
  readonly buffers: readonly BufferTensor[];
  /** The buffers' block, or -1 when the network has no batchnorm layer. */
  private readonly buffersBlock: number;
  /** Where the dropout layers' xoshiro128** state (4 u32) lives. */
  readonly randomOffset: number;
  readonly widths: readonly number[];
  private workspaceBlock = -1;
  private current: Workspace | undefined;

  constructor(
    private readonly runtime: Runtime,
    readonly inputSize: number,
    readonly layers: readonly LayerSpec[],
    readonly geometry: readonly LayerGeometry[],
    readonly loss: Loss,
  ) {
    const { arena, kernels } = runtime;
    const layout = kernels.layout;
    this.widths = geometry.map((layer) => layer.width);
    // Each tensor starts on a 16-byte boundary so the kernels' vector loads stay aligned.
    const tensors: ParamTensor[] = [];
    let floats = 0;
    for (const { name, shape, layer } of parameterShapes(geometry)) {
      const length = shape.reduce((a, b) => a * b, 1);
      tensors.push({ name, layer, shape: [...shape], offset: floats * 4, length });
      floats += Math.ceil(length / 4) * 4;
    }
    this.tensors = tensors;
    this.paramFloats = floats;

    // The plan block: its words, then the dropout layers' random state (4 u32).
    const words = layout.PLAN_HEADER_WORDS + layers.length * layout.LAYER_WORDS;
    this.offset = arena.alloc(words * 4 + 16);
    this.randomOffset = this.offset + words * 4;
    this.params = arena.alloc(floats * 4);
    this.grads = arena.alloc(floats * 4);

    // The buffers, each on a 16-byte boundary: an i64 count takes 8 bytes.
    const shapes = bufferShapes(geometry);
    const places: number[] = [];
    let bufferBytes = 0;
    for (const { shape, kind } of shapes) {
      places.push(bufferBytes);
      bufferBytes += pad16(shape.reduce((a, b) => a * b, 1) * (kind === 'batch-count' ? 8 : 4));
    }
    this.buffersBlock = shapes.length ? arena.alloc(bufferBytes) : -1;
    this.buffers = shapes.map(({ name, layer, shape, kind }, i) => (
      { name, layer, shape: [...shape], kind, offset: this.buffersBlock + places[i], length: shape.reduce((a, b) => a * b, 1) }
    ));
    this.resetBuffers();
    this.writeRecords();
  }

  /** The workspace for batches of up to `rows` rows (reallocated when it holds fewer). */
  workspace(rows = 1): Workspace {
    if (!Number.isInteger(rows) || rows < 1) throw new ValueError(`rows is ${rows}: must be a positive integer`);
    if (this.current && rows <= this.current.rows) return this.current;
    const { arena, kernels } = this.runtime;
    const layout = kernels.layout;
    if (!Number.isSafeInteger(rows * Math.max(this.inputSize, ...this.widths) * 4)) {
      throw new ShapeError(`a batch of ${rows} rows does not fit in WebAssembly memory`);
    }
    let bytes = 0;
    const redZones: number[] = [];
    const place = (size: number) => {
      const at = bytes;
      bytes += pad16(size + arena.redZoneBytes);
      if (arena.redZoneBytes) redZones.push(at + size);
      return at;
    };
    const outputs = this.widths.map((width) => place(rows * width * 4));
    const grads = this.widths.map((width) => place(rows * width * 4));
    const masks = this.layers.map((layer, l) => (layer.kind === 'dropout' ? place(rows * this.widths[l] * 4) : -1));
    const classes = this.widths[this.widths.length - 1];
    const input = place(rows * this.inputSize * 4);
    const targets = place(rows * classes * 4);
    const indices = place(rows * 4);
    let packFloats = 1;
    this.layers.forEach((layer, l) => {
      if (layer.kind === 'dense' && l > 0) packFloats = Math.max(packFloats, this.widths[l - 1] * layer.units);
    });
    const pack = place(packFloats * 4);
    // One unfolded row [in·kh·kw × out positions] serves every convolution in turn.
    let unfoldFloats = 0;
    this.geometry.forEach(({ weights, shape }, l) => {
      if (this.layers[l].kind === 'conv2d') unfoldFloats = Math.max(unfoldFloats, weights![1] * weights![2] * weights![3] * shape![1] * shape![2]);
    });
    const unfolded = place(unfoldFloats * 4);
    const argmax = this.layers.map((layer, l) => (layer.kind === 'maxpool2d' ? place(rows * this.widths[l] * 4) : -1));
    // Each batchnorm's mean and 1/√(variance + ε) per channel, from forward to backward.
    const statistics = this.geometry.map(({ runningStatistics }) => (runningStatistics ? place(2 * runningStatistics[0] * 4) : -1));
    const lossBuffer = place(rows * classes * 4);
    const result = place(layout.EVAL_SLOTS * 8);
    const scratch = place(Math.max(3, classes) * 8);
    const loss = place(8);

    // Free the old block first so the new one may reuse its memory; nothing in it is kept.
    if (this.workspaceBlock >= 0) arena.release(this.workspaceBlock);
    this.workspaceBlock = -1;
    this.current = undefined;
    const base = arena.alloc(bytes);
    for (const at of redZones) arena.redZone(base + at);
    this.workspaceBlock = base;
    const memory = arena.memory;
    this.current = {
      rows,
      input: base + input,
      targets: base + targets,
      indices: new LiveView(memory, base + indices, rows, (b, o, n) => new Int32Array(b, o, n)),
      result: new LiveView(memory, base + result, layout.EVAL_SLOTS, (b, o, n) => new Float64Array(b, o, n)),
      scratch: base + scratch,
      lossBuffer: base + lossBuffer,
      stepLoss: new LiveView(memory, base + loss, 1, (b, o, n) => new Float64Array(b, o, n)),
    };
    const plan = this.words();
    plan[layout.PLAN_MAX_ROWS] = rows;
    plan[layout.PLAN_INPUT] = base + input;
    plan[layout.PLAN_TARGETS] = base + targets;
    plan[layout.PLAN_PACK] = base + pack;
    plan[layout.PLAN_LOSS] = base + loss;
    plan[layout.PLAN_LOSS_BUFFER] = base + lossBuffer;
    this.layers.forEach((layer, l) => {
      const record = layout.PLAN_HEADER_WORDS + l * layout.LAYER_WORDS;
      plan[record + layout.LAYER_OUTPUT] = base + outputs[l];
      plan[record + layout.LAYER_GRAD] = base + grads[l];
      if (masks[l] >= 0) plan[record + layout.LAYER_MASK] = base + masks[l];
      if (layer.kind === 'conv2d') plan[record + layout.LAYER_SCRATCH] = base + unfolded;
      if (layer.kind === 'maxpool2d') plan[record + layout.LAYER_SCRATCH] = base + argmax[l];
      if (statistics[l] >= 0) plan[record + layout.LAYER_SCRATCH] = base + statistics[l];
    });
    return this.current;
  }

  /**
   * Makes the first dense layer read its input from the compressed rows at `csr` (sparse.ts)
   * until `dense()`, with `scratch` (csrGemmTNScratchBytes for the batch) for its weight gradient.
   */
  sparseInput(csr: number, scratch: number): void {
    const layout = this.runtime.kernels.layout;
    const plan = this.words();
    plan[layout.PLAN_SPARSE_SCRATCH] = scratch;
    plan[layout.PLAN_SPARSE_INPUT] = csr;
  }

  /** What dropout and batchnorm layers do in the next passes: layout.MODE_EVALUATE, MODE_TRAIN or MODE_REPLAY. */
  mode(mode: number): void {
    this.words()[this.runtime.kernels.layout.PLAN_MODE] = mode;
  }

  /** PyTorch's initial buffers: running mean 0, running variance 1, no batch counted. */
  private resetBuffers(): void {
    for (const buffer of this.buffers) {
      const view = this.bufferView(buffer);
      if (view instanceof BigInt64Array) view.fill(BigInt(BUFFER_INITIAL[buffer.kind]));
      else view.fill(BUFFER_INITIAL[buffer.kind]);
    }
  }

  /** A buffer's values, over linear memory: use it at once, keep no reference. */
  bufferView(buffer: BufferTensor): Float32Array | BigInt64Array {
    const memory = this.runtime.arena.memory.buffer;
    return buffer.kind === 'batch-count' ? new BigInt64Array(memory, buffer.offset, buffer.length) : new Float32Array(memory, buffer.offset, buffer.length);
  }

  /** The dropout layers' random state, 4 u32 words. */
  get randomState(): number[] {
    return Array.from(new Uint32Array(this.runtime.arena.memory.buffer, this.randomOffset, 4));
  }

  set randomState(words: number[]) {
    new Uint32Array(this.runtime.arena.memory.buffer, this.randomOffset, 4).set(words);
  }

  /** Back to the dense input x. */
  dense(): void {
    this.words()[this.runtime.kernels.layout.PLAN_SPARSE_INPUT] = 0;
  }

  /** Points the plan at an optimizer record (optimizer.ts), or back to plain SGD with 0. */
  setOptimizer(record: number): void {
    this.words()[this.runtime.kernels.layout.PLAN_OPTIMIZER] = record;
  }

  /** A live view of one parameter tensor (or its gradient). */
  tensorView(tensor: ParamTensor, block: 'params' | 'grads'): LiveView<Float32Array> {
    return f32View(this.runtime.arena.memory, this[block] + tensor.offset, tensor.length);
  }

  release(): void {
    const { arena } = this.runtime;
    if (this.workspaceBlock >= 0) arena.release(this.workspaceBlock);
    if (this.buffersBlock >= 0) arena.release(this.buffersBlock);
    arena.release(this.grads);
    arena.release(this.params);
    arena.release(this.offset);
    this.workspaceBlock = -1;
    this.current = undefined;
  }

  // A live view: the training step writes plan words, and must not allocate a view to do it.
  private wordsView: LiveView<Int32Array> | undefined;

  private words(): Int32Array {
    const layout = this.runtime.kernels.layout;
    this.wordsView ??= new LiveView(this.runtime.arena.memory, this.offset, layout.PLAN_HEADER_WORDS + this.layers.length * layout.LAYER_WORDS,
      (b, o, n) => new Int32Array(b, o, n));
    return this.wordsView.array;
  }

  private writeRecords(): void {
    const { layout, activationCodes } = this.runtime.kernels;
    const plan = this.words();
    plan[layout.PLAN_LAYER_COUNT] = this.layers.length;
    plan[layout.PLAN_PARAMS] = this.params;
    plan[layout.PLAN_GRADS] = this.grads;
    plan[layout.PLAN_PARAM_COUNT] = this.paramFloats;
    plan[layout.PLAN_INPUT_SIZE] = this.inputSize;
    plan[layout.PLAN_RANDOM] = this.randomOffset;
    plan[layout.PLAN_PARALLEL_ROWS] = this.runtime.threads > 1 ? parallelRows(this.geometry, this.layers, this.runtime.minimumSharedWork) : 0;
    plan[layout.PLAN_LOSS_KIND] = {
      'softmax-cross-entropy': layout.LOSS_SOFTMAX_CROSS_ENTROPY,
      'binary-cross-entropy': layout.LOSS_SIGMOID_BINARY_CROSS_ENTROPY,
      mse: layout.LOSS_MEAN_SQUARED_ERROR,
    }[this.loss];
    let parameterLayer = 0;
    const f32Word = (word: number, value: number) => {
      new Float32Array(plan.buffer, plan.byteOffset + word * 4, 1)[0] = value;
    };
    this.layers.forEach((layer, l) => {
      const record = layout.PLAN_HEADER_WORDS + l * layout.LAYER_WORDS;
      const { inShape, shape } = this.geometry[l];
      plan[record + layout.LAYER_IN] = l === 0 ? this.inputSize : this.widths[l - 1];
      plan[record + layout.LAYER_OUT] = this.widths[l];
      if (this.geometry[l].weights) {
        const weights = this.tensors[2 * parameterLayer];
        const bias = this.tensors[2 * parameterLayer + 1];
        parameterLayer++;
        plan[record + layout.LAYER_WEIGHTS] = this.params + weights.offset;
        plan[record + layout.LAYER_BIAS] = this.params + bias.offset;
        plan[record + layout.LAYER_WEIGHT_GRAD] = this.grads + weights.offset;
        plan[record + layout.LAYER_BIAS_GRAD] = this.grads + bias.offset;
      }
      if (inShape && shape && (layer.kind === 'conv2d' || layer.kind === 'maxpool2d' || layer.kind === 'avgpool2d')) {
        plan[record + layout.LAYER_CHANNELS_IN] = inShape[0];
        plan[record + layout.LAYER_HEIGHT_IN] = inShape[1];
        plan[record + layout.LAYER_WIDTH_IN] = inShape[2];
        plan[record + layout.LAYER_CHANNELS_OUT] = shape[0];
        plan[record + layout.LAYER_HEIGHT_OUT] = shape[1];
        plan[record + layout.LAYER_WIDTH_OUT] = shape[2];
        plan[record + layout.LAYER_KERNEL_HEIGHT] = layer.kernel[0];
        plan[record + layout.LAYER_KERNEL_WIDTH] = layer.kernel[1];
        plan[record + layout.LAYER_STRIDE] = layer.stride;
        plan[record + layout.LAYER_PADDING] = layer.kind === 'conv2d' ? layer.padding : 0;
      }
      if (layer.kind === 'dropout') f32Word(record + layout.LAYER_RATE, layer.p);
      if (inShape && (layer.kind === 'batchnorm1d' || layer.kind === 'batchnorm2d')) {
        plan[record + layout.LAYER_CHANNELS_IN] = inShape[0];
        plan[record + layout.LAYER_HEIGHT_IN] = inShape[1];
        plan[record + layout.LAYER_WIDTH_IN] = inShape[2];
        f32Word(record + layout.LAYER_EPSILON, layer.eps);
        f32Word(record + layout.LAYER_MOMENTUM, layer.momentum);
        const [mean, variance, tracked] = this.buffers.filter((buffer) => buffer.layer === l);
        plan[record + layout.LAYER_RUNNING_MEAN] = mean.offset;
        plan[record + layout.LAYER_RUNNING_VARIANCE] = variance.offset;
        plan[record + layout.LAYER_BATCHES_TRACKED] = tracked.offset;
      }
      if (layer.kind === 'activation') {
        const code = activationCodes.get(layer.function);
        if (code === undefined) throw new SimdnetError(`the kernel module has no activation '${layer.function}': rebuild it`);
        plan[record + layout.LAYER_FUNCTION] = code;
      }
      plan[record + layout.LAYER_KIND] = {
        dense: layout.KIND_DENSE, activation: layout.KIND_ACTIVATION, dropout: layout.KIND_DROPOUT, conv2d: layout.KIND_CONV2D,
        maxpool2d: layout.KIND_MAXPOOL2D, avgpool2d: layout.KIND_AVGPOOL2D, flatten: layout.KIND_FLATTEN,
        batchnorm1d: layout.KIND_BATCHNORM, batchnorm2d: layout.KIND_BATCHNORM,
      }[layer.kind];
    });
  }
}

/**
 * The fewest rows for which a pass over this network uses every thread of the pool
 * (assembly/threads.ts): those whose forward takes at least `minimumWork` multiply-adds.
 */
function parallelRows(geometry: readonly LayerGeometry[], layers: readonly LayerSpec[], minimumWork: number): number {
  let perRow = 0;
  geometry.forEach(({ weights, shape }, l) => {
    const kind = layers[l].kind;
    if (kind === 'dense' || kind === 'conv2d') perRow += weights!.reduce((a, b) => a * b, 1) * (kind === 'conv2d' ? shape![1] * shape![2] : 1);
  });
  return Math.min(0x7fffffff, Math.max(1, Math.ceil(minimumWork / Math.max(1, perRow))));
}
