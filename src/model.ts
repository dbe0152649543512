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
import type { Network } from './network.js';
import { assignOrFail } from './torch.js';
import { ACTIVATIONS, MLP, type Activation } from './mlp.js';
import type { OptimizerOptions } from './optimizer.js';
import type { Runtime } from './runtime.js';
import type { TrainProgress } from './train.js';

export const MODEL_FORMAT = 'simdnet-mlp';

export interface Architecture {
  sizes: number[];
  activations: Activation[];
}

export function namedTensors(net: Network): NamedTensor[] {
  return net.paramNames.map((name) => ({ name, shape: net.paramShape(name), data: net.params[name].slice() }));
}

/**
 * The model file: parameters and architecture, plus, when the network has an optimizer, its
 * settings, step count and state tensors (optimizer.state1/2), and, when given, the training
 * progress (training.order holds a shuffled-epoch permutation), so a run can resume exactly.
 */
export function encodeModel(net: MLP, progress?: TrainProgress): Uint8Array {
  const tensors = namedTensors(net);
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    sizes: JSON.stringify(net.sizes),
    activations: JSON.stringify(net.activations),
  };
  const optimizer = net.optimizerState();
  if (optimizer) {
    metadata.optimizer = JSON.stringify(optimizer.options);
    metadata.optimizer_step = String(optimizer.step);
    optimizer.state.forEach((data, i) => tensors.push({ name: `optimizer.state${i + 1}`, shape: [data.length], data }));
  }
  if (progress) {
    metadata.training = JSON.stringify({ iterations: progress.iterations, random: progress.random });
    if (progress.order) tensors.push({ name: 'training.order', shape: [progress.order.length], data: Float32Array.from(progress.order) });
  }
  return encodeSafetensors(tensors, metadata);
}

export interface DecodedModel {
  architecture: Architecture;
  tensors: NamedTensor[];
  optimizer?: { options: OptimizerOptions; step: number; state: Float32Array[] };
  progress?: TrainProgress;
}

/** What a model file holds, checked before any network is built. */
export function decodeModel(bytes: Uint8Array, source = 'model file'): DecodedModel {
  const decoded = decodeSafetensors(bytes, source);
  const { metadata } = decoded;
  const take = (name: string) => {
    const index = decoded.tensors.findIndex((t) => t.name === name);
    return index < 0 ? undefined : decoded.tensors.splice(index, 1)[0];
  };
  let optimizer: DecodedModel['optimizer'];
  let progress: TrainProgress | undefined;
  try {
    if (metadata.optimizer) {
      const state = [take('optimizer.state1'), take('optimizer.state2')].filter((t) => t).map((t) => t!.data);
      optimizer = { options: JSON.parse(metadata.optimizer), step: Number(metadata.optimizer_step), state };
    }
    if (metadata.training) {
      const training = JSON.parse(metadata.training);
      const order = take('training.order');
      progress = { iterations: training.iterations, random: training.random, order: order && Int32Array.from(order.data) };
    }
  } catch {
    throw new ModelFormatError(`${source}: optimizer or training metadata is not valid JSON`);
  }
  const tensors = decoded.tensors;
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
  return { architecture: { sizes: sizes as number[], activations: activations as Activation[] }, tensors, optimizer, progress };
}

/**
 * Copies named tensors into the network, all or nothing: every parameter must be there with its
 * shape and finite values, and nothing else may be, before anything is written.
 */
export function assignTensors(net: Network, tensors: NamedTensor[], source: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const values: Record<string, Float32Array> = {};
  for (const name of net.paramNames) {
    const tensor = byName.get(name);
    const shape = net.paramShape(name);
    if (!tensor) throw new ModelFormatError(`${source}: no tensor '${name}'`);
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new ModelFormatError(`${source}: ${name} has shape [${tensor.shape}], the network needs [${shape}]`);
    }
    values[name] = tensor.data;
  }
  const extra = tensors.filter((t) => !net.paramNames.includes(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
  assignOrFail(net, values, source);
}

/** The network a model file describes, with its optimizer state restored; and the saved progress. */
export function modelFromBytes(runtime: Runtime, bytes: Uint8Array, source = 'model file'): MLP {
  return checkpointFromBytes(runtime, bytes, source).net;
}

export function checkpointFromBytes(runtime: Runtime, bytes: Uint8Array, source = 'model file'): { net: MLP; progress?: TrainProgress } {
  const { architecture, tensors, optimizer, progress } = decodeModel(bytes, source);
  const net = new MLP(runtime, { sizes: architecture.sizes, activation: architecture.activations });
  try {
    assignTensors(net, tensors, source);
    if (optimizer) net.restoreOptimizerState(optimizer);
  } catch (error) {
    net.dispose();
    throw error instanceof ModelFormatError ? error : new ModelFormatError(`${source}: ${(error as Error).message}`);
  }
  return { net, progress };
}

/** { 'W1.txt': '…', 'b1.txt': '…', … } as np.savetxt writes them. */
export function savetxtFiles(net: Network): Record<string, string> {
  const files: Record<string, string> = {};
  for (const tensor of namedTensors(net)) files[`${tensor.name}.txt`] = formatSavetxt(tensor);
  return files;
}

export function assignSavetxtFiles(net: Network, files: Record<string, string>, source: string): void {
  const tensors = net.paramNames.map((name) => {
    const text = files[`${name}.txt`];
    if (text === undefined) throw new ModelFormatError(`${source}: missing ${name}.txt`);
    const tensor = parseLoadtxt(text, `${source}/${name}.txt`, net.paramShape(name));
    return { ...tensor, name };
  });
  assignTensors(net, tensors, source);
}
