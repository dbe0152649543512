// The layers a network is declared with: typed descriptors, the one description of a network
// that everything else (src/plan.ts lays it out in linear memory, the model file stores it,
// the PyTorch export names it) is derived from.
//
//   createNetwork({ input: 784, layers: [dense(100), sigmoid(), dense(10)], loss: 'softmax-cross-entropy' })
import { ValueError } from './errors.js';

/** Element-wise activations, each implemented in assembly/activation.ts as ACTIVATION_<NAME>. */
export type Activation = 'sigmoid' | 'relu' | 'tanh' | 'leaky-relu';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'tanh', 'leaky-relu'];

export interface DenseLayer {
  kind: 'dense';
  /** Output features. */
  units: number;
}

export interface ActivationLayer {
  kind: 'activation';
  function: Activation;
}

export interface DropoutLayer {
  kind: 'dropout';
  /** Probability of zeroing each element while training (nn.Dropout's p). */
  p: number;
}


/**
 * nn.Conv2d over NCHW rows: `channels` output channels (the input channels follow from the
 * layer before), a kernel [height, width], one stride and one zero padding for both axes.
 */
export interface Conv2dLayer {
  kind: 'conv2d';
  channels: number;
  kernel: [number, number];
  stride: number;
  padding: number;
}

/** nn.MaxPool2d / nn.AvgPool2d without padding: a kernel [height, width] and one stride. */
export interface Pool2dLayer {
  kind: 'maxpool2d' | 'avgpool2d';
  kernel: [number, number];
  stride: number;
}

/** nn.Flatten: an NCHW row read as a flat one (the data is unchanged), before a dense layer. */
export interface FlattenLayer {
  kind: 'flatten';
}

/**
 * Batch normalization with running statistics, as nn.BatchNorm1d over the features of flat rows
 * and nn.BatchNorm2d over the channels of image rows: a scale γ (starting at 1) and a shift β
 * (at 0) per channel, learned like any weight. Training normalizes with the batch's mean and
 * biased variance and moves the running mean and unbiased running variance towards them by
 * `momentum`; predict and evaluate normalize with the running statistics.
 */
export interface BatchNormLayer {
  kind: 'batchnorm1d' | 'batchnorm2d';
  /** Added to the variance before its square root (PyTorch's eps). */
  eps: number;
  /** The batch's weight in each update of the running statistics (PyTorch's momentum). */
  momentum: number;
}

export type LayerSpec = DenseLayer | ActivationLayer | DropoutLayer | Conv2dLayer | Pool2dLayer | FlattenLayer | BatchNormLayer;

/** An image row's shape: [channels, height, width]. */
export type ImageShape = [number, number, number];

/**
 * The loss head on the last layer's output, which also decides the targets and the metrics:
 *   'softmax-cross-entropy'  classes: targets are class indices (or one-hot rows); accuracy.
 *                            PyTorch's nn.CrossEntropyLoss.
 *   'binary-cross-entropy'   independent labels (binary or multi-label): targets are rows of
 *                            0..1 values, one per output; sigmoid + BCE in its stable form,
 *                            nn.BCEWithLogitsLoss; accuracy over every label.
 *   'mse'                    regression: targets are real-valued rows; nn.MSELoss; MSE, MAE, R².
 */
export type Loss = 'softmax-cross-entropy' | 'binary-cross-entropy' | 'mse';
export const LOSSES: readonly Loss[] = ['softmax-cross-entropy', 'binary-cross-entropy', 'mse'];

export function dense(units: number): DenseLayer {
  return { kind: 'dense', units };
}

export function activation(name: Activation): ActivationLayer {
  return { kind: 'activation', function: name };
}

export const sigmoid = (): ActivationLayer => activation('sigmoid');
export const relu = (): ActivationLayer => activation('relu');
export const tanh = (): ActivationLayer => activation('tanh');
/**
 * Inverted dropout, as nn.Dropout(p): while training (trainStep, gradient) each element is zeroed
 * with probability p and the rest scaled by 1/(1 − p); predict and evaluate pass it through.
 */
export function dropout(p: number): DropoutLayer {
  return { kind: 'dropout', p };
}

/** max(x, 0.01·x), as nn.LeakyReLU() */
export const leakyRelu = (): ActivationLayer => activation('leaky-relu');

const pair = (size: number | [number, number]): [number, number] => (typeof size === 'number' ? [size, size] : [size[0], size[1]]);

/** nn.Conv2d(in, channels, kernel, stride, padding); `kernel` is a size or [height, width]. */
export function conv2d(
  channels: number, kernel: number | [number, number], options: { stride?: number; padding?: number } = {},
): Conv2dLayer {
  return { kind: 'conv2d', channels, kernel: pair(kernel), stride: options.stride ?? 1, padding: options.padding ?? 0 };
}

/** nn.MaxPool2d(kernel, stride); the stride defaults to the kernel size, as PyTorch's. */
export function maxPool2d(kernel: number | [number, number], stride?: number): Pool2dLayer {
  const size = pair(kernel);
  return { kind: 'maxpool2d', kernel: size, stride: stride ?? size[0] };
}

/** nn.AvgPool2d(kernel, stride); the stride defaults to the kernel size, as PyTorch's. */
export function avgPool2d(kernel: number | [number, number], stride?: number): Pool2dLayer {
  const size = pair(kernel);
  return { kind: 'avgpool2d', kernel: size, stride: stride ?? size[0] };
}

export function flatten(): FlattenLayer {
  return { kind: 'flatten' };
}

export interface BatchNormOptions {
  /** Default 1e-5, as PyTorch's. */
  eps?: number;
  /** Default 0.1, as PyTorch's. */
  momentum?: number;
}

/** nn.BatchNorm1d(features): over each feature of flat rows [rows×features]. */
export function batchNorm1d(options: BatchNormOptions = {}): BatchNormLayer {
  return { kind: 'batchnorm1d', eps: options.eps ?? 1e-5, momentum: options.momentum ?? 0.1 };
}

/** nn.BatchNorm2d(channels): over each channel of NCHW image rows, across the batch and the image. */
export function batchNorm2d(options: BatchNormOptions = {}): BatchNormLayer {
  return { kind: 'batchnorm2d', eps: options.eps ?? 1e-5, momentum: options.momentum ?? 0.1 };
}

/** What one layer takes and gives, and its parameters' shapes (PyTorch's for conv2d). */
export interface LayerGeometry {
  /** Floats per output row. */
  width: number;
  /** The input row as an image, for conv2d and pooling layers; batchnorm: [channels, height, width], 1d [features, 1, 1]. */
  inShape?: ImageShape;
  /** The output row as an image, while the rows are images (until flatten or dense). */
  shape?: ImageShape;
  /** dense: weights [in, units]; conv2d: weights [out, in, kh, kw]; biases [out]; batchnorm: γ and β [channels]. */
  weights?: number[];
  bias?: number[];
  /** batchnorm: the shape of its running mean and running variance, [channels]. */
  runningStatistics?: number[];
}

const positiveInteger = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 1;

function checkPair(value: unknown, what: string, where: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(positiveInteger)) {
    throw new ValueError(`${where}: ${what} is ${JSON.stringify(value)}: must be [height, width] of positive integers`);
  }
  return value as [number, number];
}

/**
 * Checks a declared network and derives every layer's geometry: the one derivation of widths,
 * image shapes and parameter shapes (the plan, the model file and the PyTorch names use it).
 * `inputShape` [C, H, W] makes the input rows images (C·H·W must equal `input`).
 */
export function networkGeometry(
  input: number, layers: readonly LayerSpec[], loss: Loss, inputShape?: readonly number[],
): LayerGeometry[] {
  if (!Number.isInteger(input) || input < 1) throw new ValueError(`input is ${input}: must be a positive integer`);
  if (!Array.isArray(layers) || layers.length === 0) throw new ValueError('a network needs at least one layer, e.g. [dense(10)]');
  if (!LOSSES.includes(loss)) throw new ValueError(`unknown loss '${loss}': expected one of ${LOSSES.join(', ')}`);
  let shape: ImageShape | undefined;
  if (inputShape !== undefined) {
    if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every(positiveInteger)) {
      throw new ValueError(`inputShape is ${JSON.stringify(inputShape)}: must be [channels, height, width] of positive integers`);
    }
    if (inputShape[0] * inputShape[1] * inputShape[2] !== input) {
      throw new ValueError(`inputShape [${inputShape}] holds ${inputShape[0] * inputShape[1] * inputShape[2]} values, but input is ${input}`);
    }
    shape = [inputShape[0], inputShape[1], inputShape[2]];
  }
  const geometry: LayerGeometry[] = [];
  let width = input;
  layers.forEach((layer, i) => {
    const where = `layer ${i} (${layer?.kind})`;
    const needImage = (): ImageShape => {
      if (!shape) {
        throw new ValueError(`${where} needs image rows: give the network an inputShape [channels, height, width] and no flatten or dense layer before it`);
      }
      return shape;
    };
    if (layer?.kind === 'dense') {
      if (!positiveInteger(layer.units)) throw new ValueError(`${where} has ${layer.units} units: must be a positive integer`);
      if (shape) throw new ValueError(`${where} takes flat rows, not images [${shape}]: put flatten() before it`);
      geometry.push({ width: layer.units, weights: [width, layer.units], bias: [layer.units] });
      width = layer.units;
    } else if (layer?.kind === 'activation') {
      if (!ACTIVATIONS.includes(layer.function)) {
        throw new ValueError(`layer ${i}: unknown activation '${layer.function}': expected one of ${ACTIVATIONS.join(', ')}`);
      }
      geometry.push({ width, shape });
    } else if (layer?.kind === 'conv2d' || layer?.kind === 'maxpool2d' || layer?.kind === 'avgpool2d') {
      const inShape = needImage();
      const [kh, kw] = checkPair(layer.kernel, 'kernel', where);
      if (!positiveInteger(layer.stride)) throw new ValueError(`${where}: stride is ${layer.stride}: must be a positive integer`);
      const padding = layer.kind === 'conv2d' ? layer.padding : 0;
      if (!Number.isInteger(padding) || padding < 0) throw new ValueError(`${where}: padding is ${padding}: must be an integer >= 0`);
      const [channels, height, breadth] = inShape;
      if (height + 2 * padding < kh || breadth + 2 * padding < kw) {
        throw new ValueError(`${where}: kernel [${kh}, ${kw}] is larger than its input [${height}, ${breadth}]${padding ? ` padded by ${padding}` : ''}`);
      }
      const outHeight = Math.floor((height + 2 * padding - kh) / layer.stride) + 1;
      const outWidth = Math.floor((breadth + 2 * padding - kw) / layer.stride) + 1;
      if (layer.kind === 'conv2d') {
        if (!positiveInteger(layer.channels)) throw new ValueError(`${where} has ${layer.channels} channels: must be a positive integer`);
        shape = [layer.channels, outHeight, outWidth];
        geometry.push({ width: 0, inShape, shape, weights: [layer.channels, channels, kh, kw], bias: [layer.channels] });
      } else {
        shape = [channels, outHeight, outWidth];
        geometry.push({ width: 0, inShape, shape });
      }
      width = shape[0] * shape[1] * shape[2];
      geometry[geometry.length - 1].width = width;
    } else if (layer?.kind === 'dropout') {
      if (!(layer.p >= 0 && layer.p < 1)) throw new ValueError(`layer ${i} (dropout) has p = ${layer.p}: must be in [0, 1)`);
      geometry.push({ width, shape });
    } else if (layer?.kind === 'flatten') {
      shape = undefined;
      geometry.push({ width });
    } else if (layer?.kind === 'batchnorm1d' || layer?.kind === 'batchnorm2d') {
      if (!(Number.isFinite(layer.eps) && layer.eps > 0)) throw new ValueError(`${where}: eps is ${layer.eps}: must be a positive number`);
      if (!(layer.momentum >= 0 && layer.momentum <= 1)) throw new ValueError(`${where}: momentum is ${layer.momentum}: must be in [0, 1]`);
      if (layer.kind === 'batchnorm1d' && shape) {
        throw new ValueError(`${where} normalizes flat rows, not images [${shape}]: use batchNorm2d() on images, or put flatten() before it`);
      }
      const inShape: ImageShape = layer.kind === 'batchnorm2d' ? needImage() : [width, 1, 1];
      const channels = [inShape[0]];
      geometry.push({ width, shape, inShape, weights: channels, bias: channels, runningStatistics: channels });
    } else {
      throw new ValueError(`layer ${i} is ${JSON.stringify(layer)}: expected a layer made by dense(), relu(), dropout(), conv2d(), …`);
    }
  });
  if (!layers.some((layer) => layer.kind === 'dense' || layer.kind === 'conv2d')) {
    throw new ValueError('a network needs at least one dense layer or conv2d layer');
  }
  if (shape) throw new ValueError(`the last layer gives images [${shape}]: end the network with flatten() and a dense layer`);
  if (loss === 'softmax-cross-entropy' && width < 2) {
    throw new ValueError('softmax-cross-entropy needs at least 2 outputs (classes); use binary-cross-entropy for one label');
  }
  return geometry;
}

/**
 * The parameter tensors W1, b1, W2, b2, … of the layers with parameters, in order, numbered
 * together: a batchnorm layer's are gamma_k and beta_k (dense, batchnorm, dense: W1 b1 gamma2 beta2 W3 b3).
 */
export function parameterShapes(geometry: readonly LayerGeometry[]): { layer: number; name: string; shape: number[] }[] {
  const tensors: { layer: number; name: string; shape: number[] }[] = [];
  let k = 0;
  geometry.forEach((layer, l) => {
    if (!layer.weights || !layer.bias) return;
    k++;
    const [weights, bias] = layer.runningStatistics ? ['gamma', 'beta'] : ['W', 'b'];
    tensors.push({ layer: l, name: `${weights}${k}`, shape: layer.weights }, { layer: l, name: `${bias}${k}`, shape: layer.bias });
  });
  return tensors;
}

/** What a batchnorm buffer holds: a running mean or variance (F32 per channel) or the count of training batches (one I64). */
export type BufferKind = 'running-mean' | 'running-variance' | 'batch-count';

/** PyTorch's value of each buffer before any training. */
export const BUFFER_INITIAL: Readonly<Record<BufferKind, number>> = { 'running-mean': 0, 'running-variance': 1, 'batch-count': 0 };

/**
 * The batchnorm layers' buffers, numbered as their gamma_k and beta_k: running_mean_k and
 * running_var_k [channels] and num_batches_tracked_k, a count of shape [] (PyTorch's names).
 * They are state, not parameters: no optimizer updates them.
 */
export function bufferShapes(geometry: readonly LayerGeometry[]): { layer: number; name: string; shape: number[]; kind: BufferKind }[] {
  const buffers: { layer: number; name: string; shape: number[]; kind: BufferKind }[] = [];
  let k = 0;
  geometry.forEach((layer, l) => {
    if (!layer.weights || !layer.bias) return;
    k++;
    if (!layer.runningStatistics) return;
    buffers.push(
      { layer: l, name: `running_mean${k}`, shape: layer.runningStatistics, kind: 'running-mean' },
      { layer: l, name: `running_var${k}`, shape: layer.runningStatistics, kind: 'running-variance' },
      { layer: l, name: `num_batches_tracked${k}`, shape: [], kind: 'batch-count' },
    );
  });
  return buffers;
}
