// LeNet-5 for 28×28 single-channel images, in its common modern form (ReLU and max pooling
// instead of the original's scaled tanh and trainable subsampling, a dense classifier instead
// of the RBF output):
//
//   [1,28,28] conv 6@5×5 pad 2 → act → maxpool 2 → [6,14,14] conv 16@5×5 → act → maxpool 2
//   → [16,5,5] flatten → dense 120 → act → dense 84 → act → dense 10
//
// 61,706 parameters, the same as torch.nn.Sequential of those modules.
import { activation, conv2d, dense, flatten, maxPool2d, type Activation, type ImageShape, type LayerSpec } from './layers.js';

export const LENET5_INPUT_SHAPE: ImageShape = [1, 28, 28];

/** LeNet-5's layers with `act` (default ReLU) after every convolution and hidden dense layer. */
export function lenet5(act: Activation = 'relu'): LayerSpec[] {
  return [
    conv2d(6, 5, { padding: 2 }), activation(act), maxPool2d(2),
    conv2d(16, 5), activation(act), maxPool2d(2),
    flatten(), dense(120), activation(act), dense(84), activation(act), dense(10),
  ];
}
