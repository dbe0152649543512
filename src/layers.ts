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

export type LayerSpec = DenseLayer | ActivationLayer | DropoutLayer;

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

/** Checks a declared network; returns each layer's output width. */
export function layerWidths(input: number, layers: readonly LayerSpec[], loss: Loss): number[] {
  if (!Number.isInteger(input) || input < 1) throw new ValueError(`input is ${input}: must be a positive integer`);
  if (!Array.isArray(layers) || layers.length === 0) throw new ValueError('a network needs at least one layer, e.g. [dense(10)]');
  if (!LOSSES.includes(loss)) throw new ValueError(`unknown loss '${loss}': expected one of ${LOSSES.join(', ')}`);
  const widths: number[] = [];
  let width = input;
  layers.forEach((layer, i) => {
    if (layer?.kind === 'dense') {
      if (!Number.isInteger(layer.units) || layer.units < 1) {
        throw new ValueError(`layer ${i} (dense) has ${layer.units} units: must be a positive integer`);
      }
      width = layer.units;
    } else if (layer?.kind === 'activation') {
      if (!ACTIVATIONS.includes(layer.function)) {
        throw new ValueError(`layer ${i}: unknown activation '${layer.function}': expected one of ${ACTIVATIONS.join(', ')}`);
      }
    } else if (layer?.kind === 'dropout') {
      if (!(layer.p >= 0 && layer.p < 1)) throw new ValueError(`layer ${i} (dropout) has p = ${layer.p}: must be in [0, 1)`);
    } else {
      throw new ValueError(`layer ${i} is ${JSON.stringify(layer)}: expected a layer made by dense(), relu(), dropout(), …`);
    }
    widths.push(width);
  });
  if (!layers.some((layer) => layer.kind === 'dense')) throw new ValueError('a network needs at least one dense layer');
  if (loss === 'softmax-cross-entropy' && width < 2) {
    throw new ValueError('softmax-cross-entropy needs at least 2 outputs (classes); use binary-cross-entropy for one label');
  }
  return widths;
}
