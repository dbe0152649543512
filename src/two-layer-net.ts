// The classic two-layer network (TwoLayerNet): input → Affine → sigmoid/relu → Affine → SoftmaxWithLoss, with
// their defaults (weight_init_std 0.01). It is simply the two-layer case of MLP.
import { MLP, type Activation } from './mlp.js';
import { sharedRuntime, type Runtime } from './runtime.js';
import type { RuntimeChoice } from './network.js';

export interface TwoLayerNetOptions {
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** Default 'sigmoid', the classic two-layer MNIST network's activation. */
  activation?: Activation;
  weightInitStd?: number;
  seed?: number;
  maxRows?: number;
}

export class TwoLayerNet extends MLP {
  static async create(options: TwoLayerNetOptions & RuntimeChoice): Promise<TwoLayerNet> {
    return new TwoLayerNet(await sharedRuntime(options.build, options.threads), options);
  }

  constructor(runtime: Runtime, options: TwoLayerNetOptions) {
    super(runtime, {
      sizes: [options.inputSize, options.hiddenSize, options.outputSize],
      activation: options.activation ?? 'sigmoid',
      weightInitStd: options.weightInitStd,
      seed: options.seed,
      maxRows: options.maxRows,
    });
  }
}
