// The training step of train({ gradient: 'numerical' }): the tutorials' loop, which takes the
// gradient of every parameter by central differences instead of backprop, then updates
// params −= lr·grad. It runs through the network's public API (numericalGradient, loss,
// params), so only plain SGD is possible: the fused optimizers take their gradients inside the
// wasm step.
//
// Unlike the backprop step it allocates (the gradients it returns), and it keeps no view of wasm
// memory across calls; the batch indices the loop draws are kept here, in ordinary JS memory.
import type { ResidentDataset } from './dataset.js';
import { ValueError } from './errors.js';
import type { Network } from './network.js';
import { resolveOptimizer, type OptimizerOptions } from './optimizer.js';

export class NumericalGradientStep {
  /** Row indices of the next batch into the training set; the loop fills them. */
  readonly indices: Int32Array;
  private readonly x: Float32Array;
  private readonly targets: Float32Array | Int32Array;
  /** Values of one row of targets: a class index, or one value per output. */
  private readonly perRow: number;

  constructor(
    private readonly net: Network,
    private readonly set: ResidentDataset,
    batchSize: number,
    /** The central differences' step; undefined: the network's numericalGradient default. */
    private readonly h: number | undefined,
    optimizer: OptimizerOptions | undefined,
  ) {
    const o = optimizer ? resolveOptimizer(optimizer) : net.optimizerState()?.options;
    if (o && (o.type !== 'sgd' || o.momentum !== 0 || o.weightDecay !== 0 || o.nesterov)) {
      throw new ValueError(
        `training by the numerical gradient applies plain SGD (p −= lr·g) only, not ${o.type}` +
          (o.type === 'sgd' ? ` with momentum ${o.momentum}, weight decay ${o.weightDecay}` : ''),
      );
    }
    if (h !== undefined && !(h > 0 && Number.isFinite(h))) throw new ValueError(`numericalStep is ${h}: must be a positive finite step`);
    this.indices = new Int32Array(batchSize);
    this.x = new Float32Array(batchSize * net.inputSize);
    const classes = net.lossKind === 'softmax-cross-entropy';
    this.perRow = classes ? 1 : net.outputSize;
    this.targets = classes ? new Int32Array(batchSize) : new Float32Array(batchSize * this.perRow);
  }

  /** Gathers rows indices[0…rows), steps every parameter; returns the loss before the update. */
  run(rows: number, learningRate: number): number {
    const { net, set, perRow } = this;
    const features = net.inputSize;
    const buffer = net.runtime.arena.memory.buffer;
    const inputs = new Float32Array(buffer, set.inputs, set.count * features);
    const Targets = this.targets instanceof Int32Array ? Int32Array : Float32Array;
    const targets = new Targets(buffer, set.targets, set.count * perRow);
    for (let r = 0; r < rows; r++) {
      const row = this.indices[r];
      this.x.set(inputs.subarray(row * features, (row + 1) * features), r * features);
      this.targets.set(targets.subarray(row * perRow, (row + 1) * perRow), r * perRow);
    }
    const x = this.x.subarray(0, rows * features);
    const t = this.targets.subarray(0, rows * perRow);
    const loss = net.loss(x, t);
    const grads = net.numericalGradient(x, t, this.h);
    for (const name of net.paramNames) {
      const p = net.params[name]; // fetched after the calls above, which may have grown memory
      const g = grads[name];
      for (let i = 0; i < p.length; i++) p[i] -= learningRate * g[i];
    }
    return loss;
  }
}
