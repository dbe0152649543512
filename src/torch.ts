// Interchange with PyTorch. A network is the nn.Sequential of its layers, one module per layer
// (dense → nn.Linear, an activation → nn.Sigmoid/ReLU/Tanh), so the dense layer at position i
// has its parameters named "i.weight" [out×in] (simdnet's W transposed) and "i.bias". For an
// MLP that is Linear at 0, 2, 4, …; `model.load_state_dict(safetensors.torch.load_file(path))`
// takes what encodeTorchSafetensors writes.
import { ModelFormatError } from './errors.js';
import { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
import type { NamedTensor } from './io/tensor.js';
import type { Network } from './network.js';

/** Each dense layer's nn.Sequential index, simdnet parameter names and shape, in order. */
function linearModules(net: Network): { index: number; weights: string; bias: string; inSize: number; outSize: number }[] {
  const modules = [];
  let inSize = net.inputSize;
  let dense = 0;
  for (const [index, spec] of net.layerSpecs.entries()) {
    if (spec.kind !== 'dense') continue;
    dense++;
    modules.push({ index, weights: `W${dense}`, bias: `b${dense}`, inSize, outSize: spec.units });
    inSize = spec.units;
  }
  return modules;
}

export function torchStateDict(net: Network): NamedTensor[] {
  return toTorchLayout(net, net.params);
}

/** A network's parameters (or gradients, named alike) in PyTorch's names and layout. */
export function toTorchLayout(net: Network, tensors: Record<string, Float32Array>): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const { index, weights, bias, inSize, outSize } of linearModules(net)) {
    const w = tensors[weights];
    const weight = new Float32Array(inSize * outSize);
    for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) weight[o * inSize + i] = w[i * outSize + o];
    out.push({ name: `${index}.weight`, shape: [outSize, inSize], data: weight });
    out.push({ name: `${index}.bias`, shape: [outSize], data: tensors[bias].slice() });
  }
  return out;
}

/**
 * Sets the network's parameters from a PyTorch state_dict of the equivalent nn.Sequential: all
 * of them or, when anything does not fit, none.
 */
export function assignTorchStateDict(net: Network, tensors: NamedTensor[], source = 'state_dict'): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set<string>();
  const values: Record<string, ArrayLike<number>> = {};
  for (const { index, weights, bias: biasName, inSize, outSize } of linearModules(net)) {
    const weightName = `${index}.weight`;
    const torchBias = `${index}.bias`;
    expected.add(weightName).add(torchBias);
    const weight = byName.get(weightName);
    const bias = byName.get(torchBias);
    if (!weight || !bias) throw new ModelFormatError(`${source}: no ${weight ? torchBias : weightName}`);
    if (weight.shape.join(',') !== `${outSize},${inSize}` || bias.shape.join(',') !== `${outSize}`) {
      throw new ModelFormatError(
        `${source}: ${weightName} [${weight.shape}] / ${torchBias} [${bias.shape}] do not fit Linear(${inSize}, ${outSize})`,
      );
    }
    const w = new Float32Array(inSize * outSize);
    for (let o = 0; o < outSize; o++) for (let i = 0; i < inSize; i++) w[i * outSize + o] = weight.data[o * inSize + i];
    values[weights] = w;
    values[biasName] = bias.data;
  }
  const extra = tensors.filter((t) => !expected.has(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
  assignOrFail(net, values, source);
}

/** net.assignParams, with its errors reported as a file's format errors. */
export function assignOrFail(net: Network, values: Record<string, ArrayLike<number>>, source: string): void {
  try {
    net.assignParams(values, source);
  } catch (error) {
    throw error instanceof ModelFormatError ? error : new ModelFormatError((error as Error).message);
  }
}

export function encodeTorchSafetensors(net: Network): Uint8Array {
  return encodeSafetensors(torchStateDict(net), { format: 'pt' });
}

export function assignTorchSafetensors(net: Network, bytes: Uint8Array, source = 'safetensors file'): void {
  assignTorchStateDict(net, decodeSafetensors(bytes, source).tensors, source);
}
