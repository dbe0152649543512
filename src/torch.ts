// Interchange with PyTorch. simdnet's MLP is the nn.Sequential
//   Linear(s0, s1), act, Linear(s1, s2), act, …, Linear(s_{L-1}, s_L)
// so Linear l sits at index 2l and its parameters are named "2l.weight" [out×in] (simdnet's
// W_{l+1} transposed) and "2l.bias". `model.load_state_dict(safetensors.torch.load_file(path))`
// takes what encodeTorchSafetensors writes.
import { ModelFormatError } from './errors.js';
import { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
import type { NamedTensor } from './io/tensor.js';
import type { MLP } from './mlp.js';

export function torchStateDict(net: MLP): NamedTensor[] {
  return toTorchLayout(net.sizes, net.params);
}

/** W1, b1, … of a network with these layer sizes (parameters or gradients) in PyTorch's names and layout. */
export function toTorchLayout(sizes: readonly number[], tensors: Record<string, Float32Array>): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const [inSize, outSize] = [sizes[l], sizes[l + 1]];
    const w = tensors[`W${l + 1}`];
    const weight = new Float32Array(inSize * outSize);
    for (let i = 0; i < inSize; i++) for (let o = 0; o < outSize; o++) weight[o * inSize + i] = w[i * outSize + o];
    out.push({ name: `${2 * l}.weight`, shape: [outSize, inSize], data: weight });
    out.push({ name: `${2 * l}.bias`, shape: [outSize], data: tensors[`b${l + 1}`].slice() });
  }
  return out;
}

/** Sets the network's parameters from a PyTorch state_dict of the equivalent nn.Sequential. */
export function assignTorchStateDict(net: MLP, tensors: NamedTensor[], source = 'state_dict'): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set<string>();
  for (let l = 0; l < net.sizes.length - 1; l++) {
    const [inSize, outSize] = [net.sizes[l], net.sizes[l + 1]];
    const weightName = `${2 * l}.weight`;
    const biasName = `${2 * l}.bias`;
    expected.add(weightName).add(biasName);
    const weight = byName.get(weightName);
    const bias = byName.get(biasName);
    if (!weight || !bias) throw new ModelFormatError(`${source}: no ${weight ? biasName : weightName}`);
    if (weight.shape.join(',') !== `${outSize},${inSize}` || bias.shape.join(',') !== `${outSize}`) {
      throw new ModelFormatError(
        `${source}: ${weightName} [${weight.shape}] / ${biasName} [${bias.shape}] do not fit Linear(${inSize}, ${outSize})`,
      );
    }
    const w = new Float32Array(inSize * outSize);
    for (let o = 0; o < outSize; o++) for (let i = 0; i < inSize; i++) w[i * outSize + o] = weight.data[o * inSize + i];
    net.params[`W${l + 1}`] = w;
    net.params[`b${l + 1}`] = bias.data;
  }
  const extra = tensors.filter((t) => !expected.has(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
}

export function encodeTorchSafetensors(net: MLP): Uint8Array {
  return encodeSafetensors(torchStateDict(net), { format: 'pt' });
}

export function assignTorchSafetensors(net: MLP, bytes: Uint8Array, source = 'safetensors file'): void {
  assignTorchStateDict(net, decodeSafetensors(bytes, source).tensors, source);
}
