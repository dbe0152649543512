// networkGeometry, the one derivation of widths, image shapes and parameter shapes, and the
// layer constructors: against shapes worked out by hand (PyTorch's output-size formula
// ⌊(H + 2p − k) / s⌋ + 1), and the message of every declaration it refuses.
import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import {
  avgPool2d, conv2d, dense, dropout, flatten, maxPool2d, networkGeometry, parameterShapes, relu, type LayerSpec, type Loss,
} from '../src/layers.js';

describe('layer constructors', () => {
  it('conv2d defaults to stride 1 and no padding; a size n is [n, n]', () => {
    expect(conv2d(6, 5)).toEqual({ kind: 'conv2d', channels: 6, kernel: [5, 5], stride: 1, padding: 0 });
    expect(conv2d(6, [3, 2], { stride: 2, padding: 1 })).toEqual({ kind: 'conv2d', channels: 6, kernel: [3, 2], stride: 2, padding: 1 });
  });
  it('pooling strides default to the kernel height, as PyTorch’s', () => {
    expect(maxPool2d(2)).toEqual({ kind: 'maxpool2d', kernel: [2, 2], stride: 2 });
    expect(maxPool2d([3, 2])).toEqual({ kind: 'maxpool2d', kernel: [3, 2], stride: 3 });
    expect(avgPool2d(3, 1)).toEqual({ kind: 'avgpool2d', kernel: [3, 3], stride: 1 });
  });
  it('a kernel array given to a constructor is copied', () => {
    const kernel: [number, number] = [3, 3];
    const layer = maxPool2d(kernel);
    kernel[0] = 5;
    expect(layer.kernel).toEqual([3, 3]);
  });
});

describe('networkGeometry', () => {
  it('derives every width, image shape and parameter shape', () => {
    const layers: LayerSpec[] = [
      conv2d(4, 3, { stride: 2, padding: 1 }), // [2, 7, 9] → [4, ⌊(7+2−3)/2⌋+1, ⌊(9+2−3)/2⌋+1] = [4, 4, 5]
      relu(),
      maxPool2d([2, 3], 1), // → [4, 3, 3]
      avgPool2d(3), // → [4, 1, 1]
      flatten(),
      dropout(0.5),
      dense(6),
    ];
    expect(networkGeometry(2 * 7 * 9, layers, 'softmax-cross-entropy', [2, 7, 9])).toEqual([
      { width: 80, inShape: [2, 7, 9], shape: [4, 4, 5], weights: [4, 2, 3, 3], bias: [4] },
      { width: 80, shape: [4, 4, 5] },
      { width: 36, inShape: [4, 4, 5], shape: [4, 3, 3] },
      { width: 4, inShape: [4, 3, 3], shape: [4, 1, 1] },
      { width: 4 },
      { width: 4, shape: undefined },
      { width: 6, weights: [4, 6], bias: [6] },
    ]);
  });

  it('a kernel exactly as large as its padded input gives one position', () => {
    const [conv] = networkGeometry(1 * 3 * 4, [conv2d(1, [5, 6], { padding: 1 }), flatten(), dense(2)], 'mse', [1, 3, 4]);
    expect(conv.shape).toEqual([1, 1, 1]);
  });

  it('names the tensors W1, b1, … of the layers with parameters only', () => {
    const geometry = networkGeometry(1 * 4 * 4, [conv2d(2, 3), flatten(), relu(), dense(3), dense(2)], 'mse', [1, 4, 4]);
    expect(parameterShapes(geometry)).toEqual([
      { layer: 0, name: 'W1', shape: [2, 1, 3, 3] }, { layer: 0, name: 'b1', shape: [2] },
      { layer: 3, name: 'W2', shape: [8, 3] }, { layer: 3, name: 'b2', shape: [3] },
      { layer: 4, name: 'W3', shape: [3, 2] }, { layer: 4, name: 'b3', shape: [2] },
    ]);
  });

  it('one output is enough for binary cross-entropy and mse, not for softmax', () => {
    expect(networkGeometry(3, [dense(1)], 'binary-cross-entropy').at(-1)!.width).toBe(1);
    expect(networkGeometry(3, [dense(1)], 'mse').at(-1)!.width).toBe(1);
    expect(networkGeometry(3, [dense(2)], 'softmax-cross-entropy').at(-1)!.width).toBe(2);
    expect(() => networkGeometry(3, [dense(1)], 'softmax-cross-entropy'))
      .toThrow('softmax-cross-entropy needs at least 2 outputs (classes); use binary-cross-entropy for one label');
  });

  const image = [1, 6, 6] as const;
  const refused: [string, number, unknown[], readonly number[] | undefined, string][] = [
    ['a fractional input', 2.5, [dense(2)], undefined, 'input is 2.5: must be a positive integer'],
    ['no layer list', 3, undefined as never, undefined, 'a network needs at least one layer, e.g. [dense(10)]'],
    ['an empty layer list', 3, [], undefined, 'a network needs at least one layer, e.g. [dense(10)]'],
    ['an inputShape of two numbers', 36, [dense(2)], [6, 6], 'inputShape is [6,6]: must be [channels, height, width] of positive integers'],
    ['an inputShape with a 0', 36, [dense(2)], [0, 6, 6], 'inputShape is [0,6,6]: must be [channels, height, width] of positive integers'],
    ['an inputShape with a fraction', 36, [dense(2)], [1, 6.5, 6], 'inputShape is [1,6.5,6]: must be [channels, height, width] of positive integers'],
    ['an inputShape that is not an array', 36, [dense(2)], '1,6,6' as never, 'inputShape is "1,6,6": must be [channels, height, width] of positive integers'],
    ['an inputShape of another size', 35, [dense(2)], image, 'inputShape [1,6,6] holds 36 values, but input is 35'],
    ['pooling flat rows', 36, [maxPool2d(2), flatten(), dense(2)], undefined,
      'layer 0 (maxpool2d) needs image rows: give the network an inputShape [channels, height, width] and no flatten or dense layer before it'],
    ['a convolution after flatten', 36, [flatten(), conv2d(2, 3), flatten(), dense(2)], image, 'layer 1 (conv2d) needs image rows'],
    ['dense on images', 36, [conv2d(2, 3), dense(2)], image, 'layer 1 (dense) takes flat rows, not images [2,4,4]: put flatten() before it'],
    ['a kernel of one number', 36, [{ kind: 'conv2d', channels: 2, kernel: 3, stride: 1, padding: 0 }, flatten(), dense(2)], image,
      'layer 0 (conv2d): kernel is 3: must be [height, width] of positive integers'],
    ['a kernel of three numbers', 36, [{ kind: 'avgpool2d', kernel: [2, 2, 2], stride: 1 }, flatten(), dense(2)], image,
      'layer 0 (avgpool2d): kernel is [2,2,2]: must be [height, width] of positive integers'],
    ['a kernel with a 0', 36, [{ kind: 'maxpool2d', kernel: [2, 0], stride: 1 }, flatten(), dense(2)], image,
      'layer 0 (maxpool2d): kernel is [2,0]: must be [height, width] of positive integers'],
    ['a fractional stride', 36, [maxPool2d(2, 1.5), flatten(), dense(2)], image, 'layer 0 (maxpool2d): stride is 1.5: must be a positive integer'],
    ['a negative padding', 36, [conv2d(2, 3, { padding: -1 }), flatten(), dense(2)], image, 'layer 0 (conv2d): padding is -1: must be an integer >= 0'],
    ['a fractional padding', 36, [conv2d(2, 3, { padding: 0.5 }), flatten(), dense(2)], image, 'layer 0 (conv2d): padding is 0.5: must be an integer >= 0'],
    ['a kernel taller than its input', 36, [conv2d(2, [7, 1]), flatten(), dense(2)], image, 'layer 0 (conv2d): kernel [7, 1] is larger than its input [6, 6]'],
    ['a kernel wider than its padded input', 36, [conv2d(2, [1, 9], { padding: 1 }), flatten(), dense(2)], image,
      'layer 0 (conv2d): kernel [1, 9] is larger than its input [6, 6] padded by 1'],
    ['0 channels', 36, [conv2d(0, 3), flatten(), dense(2)], image, 'layer 0 (conv2d) has 0 channels: must be a positive integer'],
    ['0 units', 3, [dense(0)], undefined, 'layer 0 (dense) has 0 units: must be a positive integer'],
    ['a negative dropout', 3, [dense(4), dropout(-0.1), dense(2)], undefined, 'layer 1 (dropout) has p = -0.1: must be in [0, 1)'],
    ['a NaN dropout', 3, [dense(4), dropout(NaN), dense(2)], undefined, 'layer 1 (dropout) has p = NaN: must be in [0, 1)'],
    ['something else', 3, [dense(4), null], undefined, 'layer 1 is null: expected a layer made by dense(), relu(), dropout(), conv2d(), …'],
    ['no layer with parameters', 3, [relu(), dropout(0.1)], undefined, 'a network needs at least one dense layer or conv2d layer'],
    ['images at the end', 36, [conv2d(2, 3), relu()], image, 'the last layer gives images [2,4,4]: end the network with flatten() and a dense layer'],
  ];
  it.each(refused)('refuses %s, saying what is wrong', (_, input, layers, inputShape, message) => {
    const call = () => networkGeometry(input, layers as LayerSpec[], 'mse', inputShape);
    expect(call).toThrow(ValueError);
    expect(call).toThrow(message);
  });

  it('refuses an unknown loss, naming the known ones', () => {
    expect(() => networkGeometry(3, [dense(2)], 'hinge' as Loss))
      .toThrow("unknown loss 'hinge': expected one of softmax-cross-entropy, binary-cross-entropy, mse");
  });

  it('a kernel may be as large as its input padded on both sides', () => {
    const [conv] = networkGeometry(36, [conv2d(1, [10, 10], { padding: 2 }), flatten(), dense(2)], 'mse', [1, 6, 6]);
    expect(conv.shape).toEqual([1, 1, 1]);
    expect(() => networkGeometry(36, [conv2d(1, [7, 1]), flatten(), dense(2)], 'mse', [1, 6, 6]))
      .toThrow(/^layer 0 \(conv2d\): kernel \[7, 1\] is larger than its input \[6, 6\]$/);
  });

  it('refuses an unknown activation, naming the known ones', () => {
    expect(() => networkGeometry(3, [dense(2), { kind: 'activation', function: 'swish' } as never], 'mse'))
      .toThrow("layer 1: unknown activation 'swish': expected one of sigmoid, relu, tanh, leaky-relu");
  });

  it('accepts dropout 0 and the smallest positive sizes', () => {
    expect(networkGeometry(1, [dropout(0), dense(1)], 'mse').map((l) => l.width)).toEqual([1, 1]);
    expect(networkGeometry(1, [conv2d(1, 1), flatten(), dense(1)], 'mse', [1, 1, 1]).map((l) => l.width)).toEqual([1, 1, 1]);
  });
});
