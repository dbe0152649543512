// The text form of a layer list (`simdnet train --layers "conv2d(6,5) relu …"`): text →
// descriptors, descriptors → canonical text → the same descriptors, and every syntax error as
// one message naming the token and its column.
import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import {
  ACTIVATIONS, activation, avgPool2d, batchNorm1d, batchNorm2d, conv2d, dense, dropout, flatten, leakyRelu, maxPool2d, relu, sigmoid, tanh,
  type LayerSpec,
} from '../src/layers.js';
import { checkLayerList, formatLayers, LAYER_KINDS, layerSignatures, parseLayerList, parseLayers } from '../src/layer-grammar.js';
import { lenet5 } from '../src/lenet5.js';

const LENET5 = 'conv2d(6,5,padding=2) relu maxpool2d(2) conv2d(16,5) relu maxpool2d(2) flatten dense(120) relu dense(84) relu dense(10)';

describe('parseLayers', () => {
  it('reads LeNet-5 as the preset builds it', () => {
    expect(parseLayers(LENET5)).toEqual(lenet5('relu'));
    expect(lenet5()).toEqual(lenet5('relu')); // relu unless asked
  });

  it.each<[string, LayerSpec[]]>([
    ['dense(10)', [dense(10)]],
    ['dense(out_features=7)', [dense(7)]],
    ['linear(5)', [dense(5)]],
    ['sigmoid tanh relu leaky-relu', [sigmoid(), tanh(), relu(), leakyRelu()]],
    ['LeakyReLU leaky_relu ReLU()', [leakyRelu(), leakyRelu(), relu()]],
    ['dropout', [dropout(0.5)]],
    ['dropout(0.25) dropout(p=0)', [dropout(0.25), dropout(0)]],
    ['conv2d(3,(2,5))', [conv2d(3, [2, 5])]],
    ['Conv2d(4, kernel_size=3, stride=2, padding=1)', [conv2d(4, 3, { stride: 2, padding: 1 })]],
    ['conv2d(out_channels=8, kernel_size=(3,1), padding=0)', [conv2d(8, [3, 1])]],
    ['conv2d(2,3,1,1)', [conv2d(2, 3, { stride: 1, padding: 1 })]],
    ['maxpool2d(3) MaxPool2d(2,stride=1) avgpool2d((2,4),3) avg_pool2d(kernel_size=2)', [maxPool2d(3), maxPool2d(2, 1), avgPool2d([2, 4], 3), avgPool2d(2)]],
    ['flatten flatten()', [flatten(), flatten()]],
    ['  dense(3),relu , dense( 2 , ) ', [dense(3), relu(), dense(2)]],
    ['dense(1e2)', [dense(100)]],
    ['batchnorm1d BatchNorm2d() batch_norm2d(momentum=0.3) batchnorm1d(1e-3, 0.2)',
      [batchNorm1d(), batchNorm2d(), batchNorm2d({ momentum: 0.3 }), batchNorm1d({ eps: 1e-3, momentum: 0.2 })]],
  ])('%s', (text, layers) => {
    expect(parseLayers(text)).toEqual(layers);
  });

  it('knows every activation the kernels have', () => {
    expect(parseLayers(ACTIVATIONS.join(' '))).toEqual(ACTIVATIONS.map(activation));
  });

  it('keeps each layer as written and its column', () => {
    expect(parseLayerList(' dense(3)  relu dropout( p=0.5 )').map(({ text, column }) => [text, column])).toEqual([
      ['dense(3)', 2], ['relu', 12], ['dropout( p=0.5 )', 17],
    ]);
  });
});

describe('formatLayers', () => {
  it('writes LeNet-5 in its canonical form', () => {
    expect(formatLayers(lenet5('relu'))).toBe(LENET5);
  });

  it('writes defaults out only where they are not the builder default', () => {
    expect(formatLayers([conv2d(4, [3, 2], { stride: 2 }), maxPool2d([2, 3]), avgPool2d(2, 1), dropout(0.1), leakyRelu()]))
      .toBe('conv2d(4,(3,2),stride=2) maxpool2d((2,3)) avgpool2d(2,stride=1) dropout(0.1) leaky-relu');
    expect(formatLayers([batchNorm2d(), batchNorm1d({ eps: 0.001 }), batchNorm1d({ momentum: 0.5 })]))
      .toBe('batchnorm2d batchnorm1d(eps=0.001) batchnorm1d(momentum=0.5)');
  });

  it('reads back as the same layers, and is a fixed point', () => {
    const layers = [
      conv2d(5, [3, 4], { stride: 3, padding: 2 }), tanh(), avgPool2d([1, 2], 2), maxPool2d(3, 2), dropout(0.3),
      flatten(), dense(17), sigmoid(), dropout(0.5), dense(1),
    ];
    const text = formatLayers(layers);
    expect(parseLayers(text)).toEqual(layers);
    expect(formatLayers(parseLayers(text))).toBe(text);
  });

  it('has one entry for every layer name, each of which describes what it builds', () => {
    for (const name of Object.keys(LAYER_KINDS)) {
      const required = LAYER_KINDS[name].parameters.filter((p) => p.default === undefined).map(() => 2);
      const layers = parseLayers(required.length ? `${name}(${required.join(',')})` : name);
      expect(formatLayers(layers)).toMatch(new RegExp(`^${name}\\b`));
      expect(parseLayers(formatLayers(layers))).toEqual(layers);
    }
  });

  it('refuses a layer it has no text for', () => {
    expect(() => formatLayers([{ kind: 'conv3d' } as unknown as LayerSpec])).toThrow(ValueError);
    expect(() => formatLayers([{ kind: 'conv3d' } as unknown as LayerSpec])).toThrow(new ValueError('{"kind":"conv3d"} has no text form'));
  });
});

describe('syntax errors name the token and its column', () => {
  it.each([
    ['', /^the end \(column 1\): expected a layer \(dense, sigmoid, relu, tanh, leaky-relu, dropout, conv2d, maxpool2d, avgpool2d, flatten, batchnorm1d, batchnorm2d\)$/],
    ['   ', /^the end \(column 4\): expected a layer/],
    ['conv3d(6,5)', /^'conv3d' at column 1: unknown layer: expected one of dense, sigmoid, .*, batchnorm2d$/],
    ['dense(10) 784', /^'784' at column 11: expected a layer name \(dense, /],
    ['dense(10', /^the end \(column 9\): expected ',' or '\)'$/],
    ['dense(10 relu', /^'relu' at column 10: expected ',' or '\)'$/],
    ['dense()', /^'dense' at column 1: dense needs out_features: dense\(out_features\)$/],
    ['relu dense', /^'dense' at column 6: dense needs out_features: dense\(out_features\)$/],
    ['conv2d(6)', /^'conv2d' at column 1: conv2d needs kernel_size: conv2d\(out_channels, kernel_size, stride=1, padding=0\)$/],
    ['conv2d(6,5,1,0,1)', /^'1' at column 16: conv2d takes 4 arguments: conv2d\(out_channels, kernel_size, stride=1, padding=0\)$/],
    ['relu(1)', /^'1' at column 6: relu takes no arguments: relu$/],
    ['dense(1,2)', /^'2' at column 9: dense takes 1 argument: dense\(out_features\)$/],
    ['conv2d(6,5,strides=2)', /^'strides' at column 12: conv2d has no argument strides: conv2d\(out_channels, kernel_size, stride=1, padding=0\)$/],
    ['conv2d(6,kernel_size=5,kernel_size=3)', /^'kernel_size' at column 24: kernel_size is given twice$/],
    ['conv2d(6,kernel_size=5,2)', /^'2' at column 24: a positional argument after a keyword argument$/],
    ['batchnorm2d(eps=0)', /^'0' at column 17: eps must be a number > 0$/],
    ['batchnorm1d(momentum=1.5)', /^'1.5' at column 22: momentum must be a number in \[0, 1\]$/],
    ['dense(0)', /^'0' at column 7: out_features must be a positive integer$/],
    ['dense(2.5)', /^'2.5' at column 7: out_features must be a positive integer$/],
    ['dense(-3)', /^'-3' at column 7: out_features must be a positive integer$/],
    ['conv2d(6,5,padding=-1)', /^'-1' at column 20: padding must be an integer >= 0$/],
    ['conv2d(6,5,stride=(2,2))', /^'\(' at column 19: stride takes one number, not a pair$/],
    ['conv2d(6,(5,0))', /^'\(' at column 10: kernel_size must be positive integers$/],
    ['conv2d(6,(5 5))', /^'5' at column 13: expected ',' between the two numbers of a pair$/],
    ['conv2d(6,(5,5)', /^the end \(column 15\): expected ',' or '\)'$/],
    ['conv2d(6,(5,5,5))', /^',' at column 14: expected '\)' after the pair's second number$/],
    ['maxpool2d(x)', /^'x' at column 11: expected a number$/],
    ['dropout(1)', /^'1' at column 9: p must be a number in \[0, 1\)$/],
    ['dense(10) ; relu', /^';' at column 11: not a character of a layer list$/],
    ['dense(10)) relu', /^'\)' at column 10: expected a layer name/],
    ['dense(=3)', /^'=' at column 7: expected a number$/],
    ['dense(10),,relu', /^',' at column 11: expected a layer name/],
    ['dense(3=4)', /^'=' at column 8: expected ',' or '\)'$/],
    ['dropout(-0.1)', /^'-0.1' at column 9: p must be a number in \[0, 1\)$/],
    ['batchnorm1d(momentum=-0.1)', /^'-0.1' at column 22: momentum must be a number in \[0, 1\]$/],
  ])('%j', (text, message) => {
    let error: unknown;
    try {
      parseLayers(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/\n/);
  });
});

describe('checkLayerList', () => {
  it('gives the output width of image and flat networks', () => {
    expect(checkLayerList(parseLayerList(LENET5), [1, 28, 28])).toBe(10);
    expect(checkLayerList(parseLayerList('dense(100) relu dense(3)'), [1, 28, 28])).toBe(3);
    expect(checkLayerList(parseLayerList('flatten dense(5)'), [1, 28, 28])).toBe(5);
    // A pooling layer alone makes the rows images.
    expect(checkLayerList(parseLayerList('maxpool2d(2) flatten dense(3)'), [1, 4, 4])).toBe(3);
    expect(checkLayerList(parseLayerList('avgpool2d(2) flatten dense(3)'), [1, 4, 4])).toBe(3);
  });

  it('accepts a momentum of 0 and of 1, the ends of [0, 1]', () => {
    expect(parseLayers('batchnorm1d(momentum=0) batchnorm1d(momentum=1)')).toEqual([batchNorm1d({ momentum: 0 }), batchNorm1d({ momentum: 1 })]);
  });

  it.each([
    ['conv2d(6,5) relu dense(10)', /^'dense\(10\)' at column 18: takes flat rows, not images \[6,24,24\]: put flatten\(\) before it$/],
    ['dense(10) conv2d(6,5) flatten dense(10)', /^'dense\(10\)' at column 1: takes flat rows, not images \[1,28,28\]/],
    ['conv2d(6,29) flatten dense(10)', /^'conv2d\(6,29\)' at column 1: kernel \[29, 29\] is larger than its input \[28, 28\]$/],
    ['conv2d(6,5) flatten dense(10) maxpool2d(2)', /^'maxpool2d\(2\)' at column 31: needs image rows/],
    ['conv2d(6, 5)', /the last layer gives images \[6,24,24\]: end the network with flatten\(\) and a dense layer/],
    ['relu', /needs at least one dense layer or conv2d layer/],
    // Layer 10: a two-digit index still names the layer as written.
    ['conv2d(2,3) relu relu relu relu relu relu relu relu relu dense(10)',
      /^'dense\(10\)' at column 58: takes flat rows, not images \[2,26,26\]: put flatten\(\) before it$/],
  ])('%j', (text, message) => {
    expect(() => checkLayerList(parseLayerList(text), [1, 28, 28])).toThrow(message);
  });
});

it('layerSignatures lists every layer with its arguments', () => {
  expect(layerSignatures()).toEqual([
    'dense(out_features)', 'sigmoid', 'relu', 'tanh', 'leaky-relu', 'dropout(p=0.5)',
    'conv2d(out_channels, kernel_size, stride=1, padding=0)', 'maxpool2d(kernel_size, stride=kernel_size)',
    'avgpool2d(kernel_size, stride=kernel_size)', 'flatten', 'batchnorm1d(eps=1e-05, momentum=0.1)',
    'batchnorm2d(eps=1e-05, momentum=0.1)',
  ]);
});
