// The model file's reader refuses every malformed part with a ModelFormatError naming it, before
// any network is built; its writer records exactly what the reader needs. Tiny networks only.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tableFromCsv } from '../src/data/table.js';
import { ModelFormatError, SimdnetError, ValueError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import type { NamedTensor } from '../src/io/tensor.js';
import { batchNorm1d, conv2d, dense, dropout, flatten, tanh } from '../src/layers.js';
import { MLP } from '../src/mlp.js';
import {
  assignOrFail, assignSavetxtFiles, assignTensors, checkpointFromBytes, decodeModel, describeNetwork, encodeModel, MODEL_FORMAT, modelFromBytes,
  namedTensors, NETWORK_FORMAT, savetxtFiles,
} from '../src/model.js';
import { Network } from '../src/network.js';
import { Random } from '../src/random.js';
import type { Runtime } from '../src/runtime.js';
import { expectRefusal } from './support/refusal.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const mlp = () => new MLP(runtime, { sizes: [3, 4, 2], activation: 'tanh', seed: 1 });
const general = () => new Network(runtime, { input: 3, layers: [dense(4), tanh(), dense(2)], loss: 'mse', init: 'xavier', seed: 2 });

/** The file's tensors and metadata, changed by `edit`, re-encoded without the metadata checksum (as an earlier release wrote it). */
function edited(bytes: Uint8Array, edit: (metadata: Record<string, string>, tensors: NamedTensor[]) => NamedTensor[] | void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, 'm');
  delete metadata.metadata_crc32;
  return encodeSafetensors(edit(metadata, tensors) ?? tensors, metadata);
}

/** The error decodeModel throws, checked to be a ModelFormatError. */
function refusal(bytes: Uint8Array): string {
  let error: unknown;
  try {
    decodeModel(bytes, 'm');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFormatError);
  return (error as Error).message;
}

describe('encodeModel', () => {
  it('writes an MLP as simdnet-mlp with its sizes and activations, any other network as simdnet-network', () => {
    const net = mlp();
    const { metadata } = decodeSafetensors(encodeModel(net), 'm');
    expect(metadata.format).toBe(MODEL_FORMAT);
    expect(JSON.parse(metadata.sizes)).toEqual([3, 4, 2]);
    expect(JSON.parse(metadata.activations)).toEqual(['tanh']);
    expect(JSON.parse(metadata.network)).toEqual(describeNetwork(net));
    expect(metadata.metadata_crc32).toMatch(/^[0-9a-f]{8}$/);
    for (const key of ['optimizer', 'optimizer_step', 'training', 'evaluations', 'settings', 'table_transform', 'dropout_random']) {
      expect(metadata[key], key).toBeUndefined();
    }
    const other = decodeSafetensors(encodeModel(general()), 'm').metadata;
    expect(other.format).toBe(NETWORK_FORMAT);
    expect(other.sizes).toBeUndefined();
    expect(other.activations).toBeUndefined();
  });

  it('writes the optimizer, the progress, the settings and the dropout state, and reads them back', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), dropout(0.25), dense(2)], loss: 'softmax-cross-entropy', seed: 3 });
    net.useOptimizer({ type: 'adam', beta1: 0.8 });
    const progress = {
      iterations: 4, random: new Random(5).getState(), order: Int32Array.of(2, 0, 1), loss: Float32Array.of(1, 0.5),
      evaluations: [{ epoch: 0, iterations: 2, elapsed: 0.5, train: { loss: 1, accuracy: 0.5 } }],
    };
    const bytes = encodeModel(net, progress, { settings: { layers: 'x' } });
    const { metadata, tensors } = decodeSafetensors(bytes, 'm');
    expect(JSON.parse(metadata.optimizer)).toEqual(net.optimizerState()!.options);
    expect(metadata.optimizer_step).toBe('0');
    expect(tensors.map((t) => t.name)).toEqual(['W1', 'b1', 'W2', 'b2', 'optimizer.state1', 'optimizer.state2', 'training.order', 'training.loss']);
    expect(JSON.parse(metadata.dropout_random)).toEqual(net.dropoutState());
    const back = checkpointFromBytes(runtime, bytes, 'm');
    expect(back.net.optimizerState()).toEqual(net.optimizerState());
    expect(back.net.dropoutState()).toEqual(net.dropoutState());
    expect(back.settings).toEqual({ layers: 'x' });
    expect(back.progress).toEqual({ ...progress, random: [...progress.random.slice(0, 4), null] });
    expect(back.table).toBeUndefined();
  });
});

describe('decodeModel refuses', () => {
  it('an edited metadata entry by its checksum, and reads a file without one', () => {
    const { tensors, metadata } = decodeSafetensors(encodeModel(mlp()), 'm');
    expect(refusal(encodeSafetensors(tensors, { ...metadata, settings: '{}' })))
      .toBe('m: metadata checksum mismatch: the metadata was edited or is corrupt');
    // An entry's value edited, the entries the same.
    expect(refusal(encodeSafetensors(tensors, { ...metadata, activations: '["relu"]' })))
      .toBe('m: metadata checksum mismatch: the metadata was edited or is corrupt');
    expect(decodeModel(edited(encodeModel(mlp()), () => undefined), 'm').mlp).toEqual({ sizes: [3, 4, 2], activations: ['tanh'] });
  });

  it('another format', () => {
    expect(refusal(edited(encodeModel(mlp()), (m) => void (m.format = 'pt'))))
      .toBe("m: metadata format is 'pt', expected 'simdnet-mlp' or 'simdnet-network'");
    expect(decodeModel(edited(encodeModel(general()), () => undefined), 'm').mlp).toBeUndefined();
  });

  it.each([
    ['sizes not JSON', { sizes: '[3,' }, 'm: metadata sizes is not valid JSON'],
    ['activations missing', { activations: undefined }, 'm: metadata activations is not valid JSON'],
    ['one size', { sizes: '[3]', activations: '[]' }, 'm: metadata does not describe a network (sizes [3], activations [])'],
    ['a size of 0', { sizes: '[3,0,2]' }, 'm: metadata does not describe a network (sizes [3,0,2], activations ["tanh"])'],
    ['a fractional size', { sizes: '[3,4.5,2]' }, 'm: metadata does not describe a network (sizes [3,4.5,2], activations ["tanh"])'],
    ['sizes not a list', { sizes: '{"0":3,"1":4}' }, 'm: metadata does not describe a network (sizes {"0":3,"1":4}, activations ["tanh"])'],
    ['an unknown activation', { activations: '["swish"]' }, 'm: metadata does not describe a network (sizes [3,4,2], activations ["swish"])'],
    ['activations not a list', { activations: '"tanh"' }, 'm: metadata does not describe a network (sizes [3,4,2], activations "tanh")'],
    ['one activation too many', { activations: '["tanh","tanh"]' }, 'm: metadata does not describe a network (sizes [3,4,2], activations ["tanh","tanh"])'],
    ['sizes of another network than its description', { sizes: '[3,5,2]' }, 'm: metadata sizes/activations and network describe different networks'],
  ])('an MLP with %s', (_, change, message) => {
    const bytes = edited(encodeModel(mlp()), (m) => {
      for (const [key, value] of Object.entries(change)) {
        if (value === undefined) delete m[key];
        else m[key] = value;
      }
    });
    expect(refusal(bytes)).toBe(message);
  });

  it('a network described only by its sizes and activations is read as an earlier release wrote it', () => {
    const decoded = decodeModel(edited(encodeModel(mlp()), (m) => void delete m.network), 'm');
    expect(decoded.description).toEqual({ input: 3, layers: [dense(4), tanh(), dense(2)], loss: 'softmax-cross-entropy' });
    expect(decoded.mlp).toEqual({ sizes: [3, 4, 2], activations: ['tanh'] });
    expect(modelFromBytes(runtime, edited(encodeModel(mlp()), (m) => void delete m.network))).toBeInstanceOf(MLP);
  });

  it('a file with no description, or one that is not a network', () => {
    expect(refusal(edited(encodeModel(general()), (m) => void delete m.network))).toBe('m: metadata has no network description');
    expect(refusal(edited(encodeModel(general()), (m) => void (m.network = '{')))).toBe('m: metadata network is not valid JSON');
    expect(refusal(edited(encodeModel(general()), (m) => void (m.network = 'null'))))
      .toMatch(/^m: metadata network does not describe a network: ./);
    expect(refusal(edited(encodeModel(general()), (m) => void (m.network = JSON.stringify({ input: 3, layers: [], loss: 'mse' })))))
      .toMatch(/^m: metadata network does not describe a network: ./);
  });

  it('keeps an image network\'s input shape, and has none for flat rows', () => {
    const flat = decodeModel(encodeModel(general()), 'm').description;
    expect(flat).toEqual({ input: 3, layers: [dense(4), tanh(), dense(2)], loss: 'mse' });
    expect('inputShape' in flat).toBe(false);
  });

  it.each([
    ['a fractional optimizer_step', (m: Record<string, string>) => void (m.optimizer_step = '1.5'), "m: metadata optimizer_step is '1.5': must be an integer >= 0"],
    ['no optimizer_step', (m: Record<string, string>) => void delete m.optimizer_step, "m: metadata optimizer_step is 'undefined': must be an integer >= 0"],
    ['optimizer not JSON', (m: Record<string, string>) => void (m.optimizer = '{'), 'm: metadata optimizer is not valid JSON'],
    ['a missing state tensor', (_: Record<string, string>, t: NamedTensor[]) => t.filter((x) => x.name !== 'optimizer.state2'),
      'm: optimizer state must be 2 F32 tensor(s) of 28 values for adam on this network'],
    ['a state tensor of another length', (_: Record<string, string>, t: NamedTensor[]) => t.map((x) => (x.name === 'optimizer.state1' ? { ...x, shape: [20], data: new Float32Array(20) } : x)),
      'm: optimizer state must be 2 F32 tensor(s) of 28 values for adam on this network'],
    ['a state tensor of I32', (_: Record<string, string>, t: NamedTensor[]) => t.map((x) => (x.name === 'optimizer.state2' ? { ...x, data: new Int32Array(28) } : x)),
      'm: optimizer state must be 2 F32 tensor(s) of 28 values for adam on this network'],
  ])('%s', (_, edit, message) => {
    const net = mlp();
    net.useOptimizer({ type: 'adam' });
    expect(refusal(edited(encodeModel(net), edit))).toBe(message);
  });

  it('SGD with momentum takes one state tensor, of the parameter block\'s padded length', () => {
    const net = mlp();
    net.useOptimizer({ type: 'sgd', momentum: 0.9 });
    const decoded = decodeModel(encodeModel(net), 'm');
    expect(decoded.optimizer!.state.map((s) => s.length)).toEqual([28]);
    expect(decoded.optimizer!.step).toBe(0);
    expect(refusal(edited(encodeModel(net), (_, t) => [...t, { name: 'optimizer.state2', shape: [28], data: new Float32Array(28) }])))
      .toBe('m: optimizer state must be 1 F32 tensor(s) of 28 values for sgd on this network');
  });

  const random = new Random(1).getState();
  it.each([
    ['negative iterations', { training: '{"iterations":-1,"random":[1,2,3,4]}' }, 'm: metadata training must hold an integer iterations >= 0 and the random state'],
    ['fractional iterations', { training: '{"iterations":1.5,"random":[1,2,3,4]}' }, 'm: metadata training must hold an integer iterations >= 0 and the random state'],
    ['no random state', { training: '{"iterations":1}' }, 'm: metadata training must hold an integer iterations >= 0 and the random state'],
    ['null', { training: 'null' }, 'm: metadata training must hold an integer iterations >= 0 and the random state'],
    ['evaluations not a list', { evaluations: '{}' }, 'm: metadata evaluations must be a list of evaluation records taken by iteration 6'],
    ['evaluations not JSON', { evaluations: '[' }, 'm: metadata evaluations is not valid JSON'],
    ['settings null', { settings: 'null' }, 'm: metadata settings must be a JSON object'],
    ['settings a list', { settings: '[]' }, 'm: metadata settings must be a JSON object'],
    ['settings a number', { settings: '3' }, 'm: metadata settings must be a JSON object'],
  ])('a progress with %s', (_, change, message) => {
    const bytes = edited(encodeModel(mlp(), { iterations: 6, random, loss: Float32Array.of(1, 2) }), (m) => void Object.assign(m, change));
    expect(refusal(bytes)).toBe(message);
  });

  it('a progress of iterations 0 with no loss and no order is read as it is', () => {
    const { progress } = decodeModel(encodeModel(mlp(), { iterations: 0, random }), 'm');
    expect(progress).toEqual({ iterations: 0, random: [...random.slice(0, 4), null], order: undefined, loss: undefined, evaluations: undefined });
  });

  it.each([
    ['an F32 order', (t: NamedTensor[]) => [...t, { name: 'training.order', shape: [3], data: new Float32Array(3) }], 'm: training.order must be an I32 tensor'],
    ['an I32 loss', (t: NamedTensor[]) => [...t, { name: 'training.loss', shape: [2], data: new Int32Array(2) }], 'm: training.loss must be an F32 tensor of at most 6 finite values'],
    ['a 2-D loss', (t: NamedTensor[]) => [...t, { name: 'training.loss', shape: [1, 2], data: new Float32Array(2) }], 'm: training.loss must be an F32 tensor of at most 6 finite values'],
    ['a loss of 7 steps', (t: NamedTensor[]) => [...t, { name: 'training.loss', shape: [7], data: new Float32Array(7) }], 'm: training.loss must be an F32 tensor of at most 6 finite values'],
    ['a NaN loss', (t: NamedTensor[]) => [...t, { name: 'training.loss', shape: [2], data: Float32Array.of(1, NaN) }], 'm: training.loss must be an F32 tensor of at most 6 finite values'],
  ])('a progress with %s', (_, add, message) => {
    const bytes = edited(encodeModel(mlp(), { iterations: 6, random }), (_m, t) => add(t));
    expect(refusal(bytes)).toBe(message);
  });

  it('a loss of exactly `iterations` steps is read', () => {
    const { progress } = decodeModel(encodeModel(mlp(), { iterations: 2, random, loss: Float32Array.of(1, 2) }), 'm');
    expect(progress!.loss).toEqual(Float32Array.of(1, 2));
  });

  const record = { epoch: 0, iterations: 3, elapsed: 0.25, train: { loss: 1, accuracy: 0.5 }, validation: { loss: 2, r2: 0.1 }, test: { loss: 3 } };
  it('evaluation records as train makes them, any measurement absent', () => {
    const evaluations = [record, { epoch: 1, iterations: 6, elapsed: 0 }];
    expect(decodeModel(encodeModel(mlp(), { iterations: 6, random, evaluations }), 'm').progress!.evaluations).toEqual(evaluations);
  });

  it.each([
    ['null', null],
    ['a number', 3],
    ['a negative epoch', { ...record, epoch: -1 }],
    ['a fractional epoch', { ...record, epoch: 0.5 }],
    ['no epoch', { ...record, epoch: undefined }],
    ['negative iterations', { ...record, iterations: -1 }],
    ['fractional iterations', { ...record, iterations: 1.5 }],
    ['iterations past the progress', { ...record, iterations: 7 }],
    ['a non-finite elapsed', { ...record, elapsed: 'x' }],
    ['a train loss that is not a number', { ...record, train: { loss: 'x' } }],
    ['a null validation', { ...record, validation: null }],
    ['a test measurement that is a number', { ...record, test: 3 }],
    ['an accuracy that is not a number', { ...record, train: { loss: 1, accuracy: 'high' } }],
    ['an r2 that is not a number', { ...record, validation: { loss: 1, r2: '1' } }],
    ['a train measurement without loss', { ...record, train: { accuracy: 0.5 } }],
  ])('an evaluation record with %s', (_, bad) => {
    const bytes = edited(encodeModel(mlp(), { iterations: 6, random }), (m) => void (m.evaluations = JSON.stringify([record, bad])));
    expect(refusal(bytes)).toBe('m: metadata evaluations must be a list of evaluation records taken by iteration 6');
  });

  it('an evaluation record whose loss JSON reads as Infinity', () => {
    const bytes = edited(encodeModel(mlp(), { iterations: 6, random }), (m) => void (m.evaluations = '[{"epoch":0,"iterations":3,"elapsed":0,"train":{"loss":1e999}}]'));
    expect(refusal(bytes)).toBe('m: metadata evaluations must be a list of evaluation records taken by iteration 6');
  });

  it.each([
    ['no W2', (t: NamedTensor[]) => t.filter((x) => x.name !== 'W2'), "m: no tensor 'W2'"],
    ['W1 of another shape', (t: NamedTensor[]) => t.map((x) => (x.name === 'W1' ? { ...x, shape: [4, 3] } : x)), 'm: W1 has shape [4,3], the network needs [3,4]'],
    ['b1 of I32', (t: NamedTensor[]) => t.map((x) => (x.name === 'b1' ? { ...x, data: new Int32Array(4) } : x)), 'm: b1 must be F32'],
    ['extra tensors', (t: NamedTensor[]) => [...t, { name: 'W3', shape: [1], data: new Float32Array(1) }, { name: 'x', shape: [1], data: new Float32Array(1) }],
      'm: tensors the network does not have: W3, x'],
  ])('parameters: %s', (_, edit, message) => {
    expect(refusal(edited(encodeModel(mlp()), (_m, t) => edit(t)))).toBe(message);
  });

  it('a table transform of another width than the network, and keeps a matching one', () => {
    const regression = tableFromCsv('a,b,c,y\n1,2,3,4\n2,3,4,5\n3,1,2,0\n', { target: 'y', validation: 0, test: 0 }).transform;
    const classes = tableFromCsv('a,b,c,y\n1,2,3,u\n2,3,4,v\n3,1,2,u\n', { target: 'y', validation: 0, test: 0 }).transform;
    const oneOutput = new Network(runtime, { input: 3, layers: [dense(1)], loss: 'mse', seed: 1 });
    expect(decodeModel(encodeModel(oneOutput, undefined, { table: regression }), 'm').table).toEqual(regression);
    expect(decodeModel(encodeModel(mlp(), undefined, { table: classes }), 'm').table).toEqual(classes);
    expect(refusal(encodeModel(general(), undefined, { table: regression })))
      .toBe('m: table_transform makes 3 features and 1 outputs, the network takes 3 and gives 2');
    const wide = new Network(runtime, { input: 4, layers: [dense(2)], loss: 'softmax-cross-entropy', seed: 1 });
    expect(refusal(encodeModel(wide, undefined, { table: classes })))
      .toBe('m: table_transform makes 3 features and 2 outputs, the network takes 4 and gives 2');
  });

  it('a dropout random state that is not one', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), dropout(0.5), dense(2)], loss: 'softmax-cross-entropy', seed: 3 });
    expect(refusal(edited(encodeModel(net), (m) => void (m.dropout_random = '[0,0,0,0]'))))
      .toBe('m: metadata dropout_random: random state [0,0,0,0]: expected four uint32 words, not all zero');
    expect(decodeModel(edited(encodeModel(net), (m) => void (m.dropout_random = '[1,2,3,4]')), 'm').dropoutRandom).toEqual([1, 2, 3, 4]);
  });
});

describe('checkpointFromBytes', () => {
  it('reports a state the network refuses as the file\'s ModelFormatError, and frees the network it built', () => {
    const net = mlp();
    net.useOptimizer({ type: 'adam' });
    const bytes = edited(encodeModel(net), (_, t) => t.map((x) => (x.name === 'optimizer.state2' ? { ...x, data: new Float32Array(28).fill(-1) } : x)));
    const allocated = runtime.arena.allocatedBytes;
    let error: unknown;
    try {
      checkpointFromBytes(runtime, bytes, 'm');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(/^m: .*state 2\[0\] is -1/);
    expect(runtime.arena.allocatedBytes).toBe(allocated);
  });
});

describe('assignTensors and the text files', () => {
  const tensorsOf = (net: MLP): NamedTensor[] => net.paramNames.map((name) => ({ name, shape: net.paramShape(name), data: net.params[name].slice() }));

  it('copies every parameter, and refuses a missing, misshapen, I64 or unknown tensor, changing nothing', () => {
    const from = mlp();
    const into = new MLP(runtime, { sizes: [3, 4, 2], activation: 'tanh', seed: 9 });
    const before = tensorsOf(into);
    const cases: [NamedTensor[], string][] = [
      [tensorsOf(from).filter((t) => t.name !== 'b2'), "s: no tensor 'b2'"],
      [tensorsOf(from).map((t) => (t.name === 'W2' ? { ...t, shape: [2, 4] } : t)), 's: W2 has shape [2,4], the network needs [4,2]'],
      [tensorsOf(from).map((t) => (t.name === 'b1' ? { ...t, data: new BigInt64Array(4) } : t)), 's: b1 is I64: parameters are F32'],
      [[...tensorsOf(from), { name: 'W9', shape: [1], data: new Float32Array(1) }], 's: tensors the network does not have: W9'],
    ];
    for (const [tensors, message] of cases) {
      expect(() => assignTensors(into, tensors, 's')).toThrow(ModelFormatError);
      expect(() => assignTensors(into, tensors, 's')).toThrow(message);
      expect(tensorsOf(into)).toEqual(before);
    }
    assignTensors(into, tensorsOf(from), 's');
    expect(tensorsOf(into)).toEqual(tensorsOf(from));
  });

  it('reads its own text files back, and names a missing one', () => {
    const from = mlp();
    const into = new MLP(runtime, { sizes: [3, 4, 2], activation: 'tanh', seed: 9 });
    const files = savetxtFiles(from);
    expect(Object.keys(files)).toEqual(['W1.txt', 'b1.txt', 'W2.txt', 'b2.txt']);
    const { 'b2.txt': _, ...withoutB2 } = files;
    expect(() => assignSavetxtFiles(into, withoutB2, 'dir')).toThrow(new ModelFormatError('dir: missing b2.txt'));
    assignSavetxtFiles(into, files, 'dir');
    expect(tensorsOf(into)).toEqual(tensorsOf(from));
  });
});

describe('decodeModel, more of its parts', () => {
  it('finds a tensor wherever the file puts it, the first place included', () => {
    const net = mlp();
    net.useOptimizer({ type: 'adam' });
    const bytes = edited(encodeModel(net), (_, t) => [...t.filter((x) => x.name === 'optimizer.state1'), ...t.filter((x) => x.name !== 'optimizer.state1')]);
    expect(decodeModel(bytes, 'm').optimizer!.state).toHaveLength(2);
  });

  it('reads activations without sizes as a broken MLP entry, and a two-size MLP as one', () => {
    expect(refusal(edited(encodeModel(mlp()), (m) => void delete m.sizes))).toBe('m: metadata sizes is not valid JSON');
    expect(refusal(edited(encodeModel(mlp()), (m) => void (m.sizes = '"abc"'))))
      .toBe('m: metadata does not describe a network (sizes "abc", activations ["tanh"])');
    const deep = new MLP(runtime, { sizes: [3, 4, 4, 2], activation: 'tanh', seed: 1 });
    expect(refusal(edited(encodeModel(deep), (m) => void (m.activations = '["tanh","swish"]'))))
      .toBe('m: metadata does not describe a network (sizes [3,4,4,2], activations ["tanh","swish"])');
    const linear = new MLP(runtime, { sizes: [3, 2], seed: 1 });
    expect(decodeModel(encodeModel(linear), 'm').mlp).toEqual({ sizes: [3, 2], activations: [] });
  });

  it('keeps an image network\'s input shape', () => {
    const net = new Network(runtime, { inputShape: [1, 6, 6], layers: [conv2d(2, 3), flatten(), dense(2)], loss: 'mse', seed: 1 });
    expect(decodeModel(encodeModel(net), 'm').description.inputShape).toEqual([1, 6, 6]);
  });

  it('names the file "model file" unless told, and the table transform as part of it', () => {
    expect(() => decodeModel(edited(encodeModel(mlp()), (m) => void (m.format = 'pt')))).toThrow(/^model file: metadata format is 'pt'/);
    expect(refusal(edited(encodeModel(mlp()), (m) => void (m.table_transform = '{}')))).toMatch(/^m: table_transform: /);
  });
});

describe('the writer and the loader, more of their parts', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the metadata checksum does not depend on the order of the entries in the file', () => {
    const bytes = encodeModel(mlp());
    const { tensors, metadata } = decodeSafetensors(bytes, 'm');
    const reversed = Object.fromEntries(Object.entries(metadata).reverse());
    expect(Object.keys(reversed)).not.toEqual(Object.keys(metadata));
    expect(decodeModel(encodeSafetensors(tensors, reversed), 'm').description).toEqual(decodeModel(bytes, 'm').description);
  });

  it('namedTensors are copies: the network may change after', () => {
    const net = mlp();
    const before = net.params.W1.slice();
    const tensors = namedTensors(net);
    net.params.W1[0] += 1;
    expect(tensors[0].data).toEqual(before);
  });

  it('refuses a non-finite parameter wherever it is, the first entry included', () => {
    for (const at of [0, 3]) {
      const net = mlp();
      net.params.W1[at] = Number.NaN;
      expectRefusal(() => encodeModel(net), ValueError, `W1[${at}] is NaN: a network with non-finite parameters or statistics is not saved`);
    }
  });

  it('a batchnorm network: its running statistics and batch count (I64) written and read back', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), batchNorm1d(), tanh(), dense(2)], seed: 4 });
    net.trainStep(Float32Array.from({ length: 5 * 3 }, (_, i) => Math.sin(i)), Int32Array.of(0, 1, 1, 0, 1), 0.1);
    const back = checkpointFromBytes(runtime, encodeModel(net), 'm').net;
    expect(back.buffers()).toEqual(net.buffers());
    expect(back.buffers().some((t) => t.data instanceof BigInt64Array && t.data[0] === 1n)).toBe(true);
  });

  it("a running statistic of another type than F32 is refused, naming the type it must be", () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), batchNorm1d(), dense(2)], seed: 4 });
    const mean = net.buffers().find((t) => t.data instanceof Float32Array)!;
    const bytes = edited(encodeModel(net), (_, t) => t.map((x) => (x.name === mean.name ? { ...x, data: new Int32Array(x.data.length) } : x)));
    expect(refusal(bytes)).toBe(`m: ${mean.name} must be F32`);
  });

  it('an evaluation record of iteration 0 is read', () => {
    const evaluations = [{ epoch: 0, iterations: 0, elapsed: 0 }];
    expect(decodeModel(encodeModel(mlp(), { iterations: 0, random: new Random(1).getState(), evaluations }), 'm').progress!.evaluations).toEqual(evaluations);
  });

  it('names the file "model file" unless told', () => {
    const bytes = edited(encodeModel(mlp()), (m) => void (m.format = 'pt'));
    expect(() => modelFromBytes(runtime, bytes)).toThrow(/^model file: metadata format is 'pt'/);
    expect(() => checkpointFromBytes(runtime, bytes)).toThrow(/^model file: metadata format is 'pt'/);
  });

  it("checkpointFromBytes reports the network's refusals as the file's, and lets any other error through, freeing the network", () => {
    const net = mlp();
    net.useOptimizer({ type: 'adam' });
    const bytes = encodeModel(net);
    const allocated = runtime.arena.allocatedBytes;
    for (const [thrown, expected] of [
      [new ValueError('a bad state'), new ModelFormatError('m: a bad state')],
      [new SimdnetError('a bug'), undefined],
      [new TypeError('another bug'), undefined],
    ] as const) {
      vi.spyOn(Network.prototype, 'restoreOptimizerState').mockImplementation(() => {
        throw thrown;
      });
      let error: unknown;
      try {
        checkpointFromBytes(runtime, bytes, 'm');
      } catch (caught) {
        error = caught;
      }
      if (expected) {
        expect(error).toBeInstanceOf(ModelFormatError);
        expect((error as Error).message).toBe(expected.message);
      } else {
        expect(error).toBe(thrown);
      }
      expect(runtime.arena.allocatedBytes).toBe(allocated);
    }
  });

  it('assignOrFail puts the buffers back when the parameters are refused', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), batchNorm1d(), dense(2)], seed: 4 });
    const before = net.buffers();
    const mean = before.find((t) => t.data instanceof Float32Array)!;
    expect(() => assignOrFail(net, { W1: new Float32Array(2) }, 's', { [mean.name]: new Float32Array(mean.data.length).fill(5) })).toThrow(ModelFormatError);
    expect(net.buffers()).toEqual(before);
  });

  it('assignTensors names every tensor the network does not have', () => {
    const net = mlp();
    const extra = [{ name: 'W8', shape: [1], data: new Float32Array(1) }, { name: 'W9', shape: [1], data: new Float32Array(1) }];
    expectRefusal(() => assignTensors(net, [...namedTensors(net), ...extra], 's'), ModelFormatError, 's: tensors the network does not have: W8, W9');
  });

  it("a conv2d weight's text file has a row per filter; it reads back, and a bad file is named by its folder and name", () => {
    const make = (seed: number) => new Network(runtime, { inputShape: [2, 4, 4], layers: [conv2d(3, 3), flatten(), dense(2)], seed });
    const files = savetxtFiles(make(1));
    const lines = files['W1.txt'].trim().split('\n');
    expect(lines.map((line) => line.split(' ').length)).toEqual([2 * 3 * 3, 2 * 3 * 3, 2 * 3 * 3]);
    expect(files['b1.txt'].trim().split('\n')).toHaveLength(3);
    const into = make(2);
    assignSavetxtFiles(into, files, 'dir');
    expect(namedTensors(into)).toEqual(namedTensors(make(1)));
    expect(() => assignSavetxtFiles(into, { ...files, 'W1.txt': 'x' }, 'dir')).toThrow(/^dir\/W1\.txt: /);
  });
});
