// A multilayer perceptron: dense layers with an activation between them and softmax
// cross-entropy at the end, the tutorials' Affine → Sigmoid/Relu → … → SoftmaxWithLoss. It is
// the preset of the general Network (network.ts) that the tutorials' vocabulary speaks of:
// layer widths and one activation per hidden layer.
import { ValueError } from './errors.js';
import { activation, ACTIVATIONS, dense, type Activation, type LayerSpec } from './layers.js';
import { Network, type Init, type RuntimeChoice } from './network.js';
import { sharedRuntime, type Runtime } from './runtime.js';

export interface MlpOptions {
  /** Layer widths from input to output, e.g. [784, 100, 10]. */
  sizes: number[];
  /** Activation of every hidden layer, or one per hidden layer. Default 'relu'. */
  activation?: Activation | Activation[];
  /** Weight initialization. Default 'normal'. */
  init?: Init;
  /** The standard deviation of the 'normal' init. Default 0.01, as the tutorials. */
  weightInitStd?: number;
  /** Seed of the weight initialization. Default 0. */
  seed?: number;
  /** Rows the batch buffers hold at first; larger batches grow them. Default 1024. */
  maxRows?: number;
}

export class MLP extends Network {
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];

  constructor(runtime: Runtime, options: MlpOptions) {
    const { sizes, activations } = mlpShape(options);
    const layers: LayerSpec[] = [];
    for (let l = 1; l < sizes.length; l++) {
      layers.push(dense(sizes[l]));
      if (l < sizes.length - 1) layers.push(activation(activations[l - 1]));
    }
    super(runtime, { ...options, input: sizes[0], layers, loss: 'softmax-cross-entropy' });
    this.sizes = sizes;
    this.activations = activations;
  }
}

function mlpShape(options: MlpOptions): { sizes: number[]; activations: Activation[] } {
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
  const choice = options.activation ?? 'relu';
  const activations = Array.isArray(choice) ? choice : new Array<Activation>(hidden).fill(choice);
  if (activations.length !== hidden) {
    throw new ValueError(`${activations.length} activations given for ${hidden} hidden layers`);
  }
  for (const a of activations) {
    if (!ACTIVATIONS.includes(a)) {
      throw new ValueError(`unknown activation '${a}': expected one of ${ACTIVATIONS.join(', ')}`);
    }
  }
  return { sizes: [...sizes], activations: [...activations] };
}

/** An MLP on the process-wide runtime of the chosen kernel build and thread count. */
export async function createMLP(options: MlpOptions & RuntimeChoice): Promise<MLP> {
  return new MLP(await sharedRuntime(options.build, options.threads), options);
}

// The vocabulary that used to live here, where existing imports look for it.
export { ACTIVATIONS, type Activation } from './layers.js';
export { INITS, type Init, type Evaluation, type Gradients, type Layer } from './network.js';
