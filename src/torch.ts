// Interchange with PyTorch. A network is the nn.Sequential of its layers, one module per layer
// (dense → nn.Linear, an activation → nn.Sigmoid/ReLU/Tanh, conv2d → nn.Conv2d, pooling →
// nn.MaxPool2d/AvgPool2d, flatten → nn.Flatten, batchnorm1d/2d → nn.BatchNorm1d/2d), so the
// layer with parameters at position i has them named "i.weight" and "i.bias": [out×in] for a
// dense layer (simdnet's W transposed), [out×in×kh×kw] for a convolution (simdnet's W as it is),
// γ and β [channels] for batch normalization, which also has its buffers "i.running_mean",
// "i.running_var" and "i.num_batches_tracked" (I64, shape []). For an MLP that is Linear at 0,
// 2, 4, …; `model.load_state_dict(safetensors.torch.load_file(path))` takes what
// encodeTorchSafetensors writes.
import { ModelFormatError } from './errors.js';
import { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
import type { NamedTensor } from './io/tensor.js';
import { assignOrFail } from './model.js';
import type { Network } from './network.js';

interface TorchModule {
  /** Position in the nn.Sequential. */
  index: number;
  weights: string;
  bias: string;
  /** simdnet's weight shape: dense [in, out] (transposed in PyTorch), conv2d [out, in, kh, kw], batchnorm [channels] (the same). */
  shape: number[];
  /** batchnorm: simdnet's names of its running_mean, running_var and num_batches_tracked. */
  buffers: string[];
}

/** PyTorch's names of a batchnorm module's buffers, in its state_dict's order. */
const BUFFER_SUFFIXES = ['running_mean', 'running_var', 'num_batches_tracked'];

/** Each layer with parameters: its nn.Sequential index, simdnet parameter names and weight shape, in order. */
function parameterModules(net: Network): TorchModule[] {
  const modules: TorchModule[] = [];
  const names = net.paramNames;
  const buffers = net.bufferNames;
  for (let k = 0; k < names.length; k += 2) {
    const index = net.parameterLayer(names[k]);
    const own = buffers.filter((name) => net.bufferLayer(name) === index);
    modules.push({ index, weights: names[k], bias: names[k + 1], shape: net.paramShape(names[k]), buffers: own });
  }
  return modules;
}

/** PyTorch's shape of a weight simdnet holds with `shape`. */
const torchShape = (shape: number[]) => (shape.length === 2 ? [shape[1], shape[0]] : shape);

/** dense W [in×out] ↔ nn.Linear's weight [out×in]; `from` has `rows`×`cols`. */
function transposed(from: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const to = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) to[c * rows + r] = from[r * cols + c];
  return to;
}

/** What the module is to PyTorch, for errors: Linear(in, out), Conv2d(in, out, kernel_size=(kh, kw)), BatchNorm2d(channels). */
function moduleName(net: Network, { index, shape }: TorchModule): string {
  const kind = net.layerSpecs[index].kind;
  if (kind === 'batchnorm1d' || kind === 'batchnorm2d') return `BatchNorm${kind.slice(-2)}(${shape[0]})`;
  return shape.length === 2 ? `Linear(${shape[0]}, ${shape[1]})` : `Conv2d(${shape[1]}, ${shape[0]}, kernel_size=(${shape[2]}, ${shape[3]}))`;
}

/** The network's state_dict as PyTorch names and lays it out: parameters and batchnorm buffers. */
export function torchStateDict(net: Network): NamedTensor[] {
  const parameters = toTorchLayout(net, net.params);
  const buffers = new Map(net.buffers().map((t) => [t.name, t]));
  const out: NamedTensor[] = [];
  parameterModules(net).forEach((module, m) => {
    out.push(parameters[2 * m], parameters[2 * m + 1]);
    module.buffers.forEach((name, b) => out.push({ ...buffers.get(name)!, name: `${module.index}.${BUFFER_SUFFIXES[b]}` }));
  });
  return out;
}

/** A network's parameters (or gradients, named alike) in PyTorch's names and layout. */
export function toTorchLayout(net: Network, tensors: Record<string, Float32Array>): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const { index, weights, bias, shape } of parameterModules(net)) {
    const w = tensors[weights];
    const weight = shape.length === 2 ? transposed(w, shape[0], shape[1]) : w.slice();
    out.push({ name: `${index}.weight`, shape: torchShape(shape), data: weight });
    out.push({ name: `${index}.bias`, shape: [torchShape(shape)[0]], data: tensors[bias].slice() });
  }
  return out;
}

/**
 * Sets the network's parameters and batchnorm buffers from a PyTorch state_dict of the
 * equivalent nn.Sequential: all of them or, when anything does not fit, none.
 */
export function assignTorchStateDict(net: Network, tensors: NamedTensor[], source = 'state_dict'): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set<string>();
  const values: Record<string, ArrayLike<number>> = {};
  const buffers: Record<string, ArrayLike<number> | BigInt64Array> = {};
  for (const module of parameterModules(net)) {
    const { index, weights, bias: biasName, shape } = module;
    const weightName = `${index}.weight`;
    const torchBias = `${index}.bias`;
    expected.add(weightName).add(torchBias);
    const weight = byName.get(weightName);
    const bias = byName.get(torchBias);
    if (!weight || !bias) throw new ModelFormatError(`${source}: no ${weight ? torchBias : weightName}`);
    const wanted = torchShape(shape);
    if (weight.shape.join(',') !== wanted.join(',') || bias.shape.join(',') !== `${wanted[0]}`) {
      throw new ModelFormatError(
        `${source}: ${weightName} [${weight.shape}] / ${torchBias} [${bias.shape}] do not fit ${moduleName(net, module)}`,
      );
    }
    if (weight.data instanceof BigInt64Array || bias.data instanceof BigInt64Array) {
      throw new ModelFormatError(`${source}: ${weightName} and ${torchBias} must be F32`);
    }
    values[weights] = shape.length === 2 ? transposed(weight.data, wanted[0], wanted[1]) : weight.data;
    values[biasName] = bias.data;
    module.buffers.forEach((name, b) => {
      const torchName = `${index}.${BUFFER_SUFFIXES[b]}`;
      expected.add(torchName);
      const buffer = byName.get(torchName);
      const bufferShape = b < 2 ? [shape[0]] : [];
      if (!buffer) throw new ModelFormatError(`${source}: no ${torchName} (${moduleName(net, module)} keeps its running statistics)`);
      if (buffer.shape.join(',') !== bufferShape.join(',')) {
        throw new ModelFormatError(`${source}: ${torchName} has shape [${buffer.shape}], ${moduleName(net, module)} needs [${bufferShape}]`);
      }
      buffers[name] = buffer.data;
    });
  }
  const extra = tensors.filter((t) => !expected.has(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
  assignOrFail(net, values, source, buffers);
}

export function encodeTorchSafetensors(net: Network): Uint8Array {
  return encodeSafetensors(torchStateDict(net), { format: 'pt' });
}

export function assignTorchSafetensors(net: Network, bytes: Uint8Array, source = 'safetensors file'): void {
  assignTorchStateDict(net, decodeSafetensors(bytes, source).tensors, source);
}
