// Saving and loading a network's parameters. Two formats:
//
// model.safetensors  the documented binary format (README): safetensors with tensors named
//                    W1, b1, W2, b2, … in simdnet's layout (W [in×out]), F32 little-endian, and
//                    metadata { format: "simdnet-mlp", sizes: "[784,100,10]",
//                    activations: '["sigmoid"]', crc32 } so the file alone rebuilds the network.
// W1.txt, b1.txt …   the references' np.savetxt text files, one per tensor, which numpy reads
//                    back with np.loadtxt.
import { ModelFormatError } from './errors.js';
import { decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
import { formatSavetxt, parseLoadtxt } from './io/savetxt.js';
import type { NamedTensor } from './io/tensor.js';
import { ACTIVATIONS, MLP, type Activation } from './mlp.js';
import type { Runtime } from './runtime.js';

export const MODEL_FORMAT = 'simdnet-mlp';

export interface Architecture {
  sizes: number[];
  activations: Activation[];
}

export function namedTensors(net: MLP): NamedTensor[] {
  return net.paramNames.map((name) => ({ name, shape: net.paramShape(name), data: net.params[name].slice() }));
}

export function encodeModel(net: MLP): Uint8Array {
  return encodeSafetensors(namedTensors(net), {
    format: MODEL_FORMAT,
    sizes: JSON.stringify(net.sizes),
    activations: JSON.stringify(net.activations),
  });
}

/** The architecture a model file describes, checked before any network is built. */
export function decodeModel(bytes: Uint8Array, source = 'model file'): { architecture: Architecture; tensors: NamedTensor[] } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== MODEL_FORMAT) {
    throw new ModelFormatError(`${source}: metadata format is '${metadata.format}', expected '${MODEL_FORMAT}'`);
  }
  let sizes: unknown;
  let activations: unknown;
  try {
    sizes = JSON.parse(metadata.sizes);
    activations = JSON.parse(metadata.activations);
  } catch {
    throw new ModelFormatError(`${source}: metadata sizes/activations are not JSON`);
  }
  const isSizes = Array.isArray(sizes) && sizes.length >= 2 && sizes.every((s) => Number.isInteger(s) && s > 0);
  const isActivations = Array.isArray(activations) && activations.every((a) => ACTIVATIONS.includes(a));
  if (!isSizes || !isActivations || (activations as unknown[]).length !== (sizes as unknown[]).length - 2) {
    throw new ModelFormatError(`${source}: metadata does not describe a network (sizes ${metadata.sizes}, activations ${metadata.activations})`);
  }
  return { architecture: { sizes: sizes as number[], activations: activations as Activation[] }, tensors };
}

/** Copies named tensors into the network, checking that every parameter is there with its shape. */
export function assignTensors(net: MLP, tensors: NamedTensor[], source: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const name of net.paramNames) {
    const tensor = byName.get(name);
    const shape = net.paramShape(name);
    if (!tensor) throw new ModelFormatError(`${source}: no tensor '${name}'`);
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new ModelFormatError(`${source}: ${name} has shape [${tensor.shape}], the network needs [${shape}]`);
    }
    net.params[name] = tensor.data;
  }
  const extra = tensors.filter((t) => !net.paramNames.includes(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
}

export function modelFromBytes(runtime: Runtime, bytes: Uint8Array, source = 'model file'): MLP {
  const { architecture, tensors } = decodeModel(bytes, source);
  const net = new MLP(runtime, { sizes: architecture.sizes, activation: architecture.activations });
  try {
    assignTensors(net, tensors, source);
  } catch (error) {
    net.dispose();
    throw error;
  }
  return net;
}

/** { 'W1.txt': '…', 'b1.txt': '…', … } as np.savetxt writes them. */
export function savetxtFiles(net: MLP): Record<string, string> {
  const files: Record<string, string> = {};
  for (const tensor of namedTensors(net)) files[`${tensor.name}.txt`] = formatSavetxt(tensor);
  return files;
}

export function assignSavetxtFiles(net: MLP, files: Record<string, string>, source: string): void {
  const tensors = net.paramNames.map((name) => {
    const text = files[`${name}.txt`];
    if (text === undefined) throw new ModelFormatError(`${source}: missing ${name}.txt`);
    const tensor = parseLoadtxt(text, `${source}/${name}.txt`, net.paramShape(name));
    return { ...tensor, name };
  });
  assignTensors(net, tensors, source);
}
