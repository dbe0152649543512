// Saving and loading a network's parameters. Two formats:
//
// model.safetensors  the documented binary format (README): safetensors with tensors named
//                    W1, b1, W2, b2, … in simdnet's layout (W [in×out]), F32 little-endian (and
//                    a batchnorm layer's running_mean_k, running_var_k F32, num_batches_tracked_k I64), and
//                    metadata { format, network: '{"input":784,"layers":[…],"loss":…}', crc32 }
//                    so the file alone rebuilds the network. An MLP is written with format
//                    "simdnet-mlp" and also its sizes and activations, as earlier releases read
//                    it; any other network with format "simdnet-network".
// W1.txt, b1.txt …   the tutorials' np.savetxt text files, one per tensor, which numpy reads
//                    back with np.loadtxt. np.savetxt writes at most 2-D arrays, so a conv2d
//                    W [out, in, kh, kw] is written as W.reshape(out, -1): one row per filter.
import { ModelFormatError, SimdnetError, ValueError } from './errors.js';
import { checksumText, decodeSafetensors, encodeSafetensors } from './io/safetensors.js';
import { formatSavetxt, parseLoadtxt } from './io/savetxt.js';
import type { NamedTensor } from './io/tensor.js';
import { ACTIVATIONS, bufferShapes, networkGeometry, parameterShapes, type Activation, type ImageShape, type LayerSpec, type Loss } from './layers.js';
import { MLP } from './mlp.js';
import { Network } from './network.js';
import { resolveOptimizer, stateBuffers, type OptimizerOptions } from './optimizer.js';
import { Random } from './random.js';
import type { Runtime } from './runtime.js';
import type { EvaluationRecord, TrainProgress } from './train.js';
import { checkTableTransform, encodeTableTransform, type TableTransform } from './data/table-transform.js';

export const MODEL_FORMAT = 'simdnet-mlp';
export const NETWORK_FORMAT = 'simdnet-network';
// The data section's CRC (safetensors.ts) does not cover the metadata, where the architecture
// lives: this one does, so an edited description is refused instead of loading another network.
const METADATA_CHECKSUM_KEY = 'metadata_crc32';

function metadataChecksum(metadata: Record<string, string>): string {
  const entries = Object.keys(metadata).filter((key) => key !== METADATA_CHECKSUM_KEY).sort().map((key) => [key, metadata[key]]);
  return checksumText(new TextEncoder().encode(JSON.stringify(entries)));
}

/** What a model file says the network is. */
export interface NetworkDescription {
  input: number;
  /** Present when the input rows are images (conv2d and pooling layers). */
  inputShape?: ImageShape;
  layers: LayerSpec[];
  loss: Loss;
}

export function describeNetwork(net: Network): NetworkDescription {
  const description: NetworkDescription = { input: net.inputSize, layers: net.layerSpecs.map((layer) => structuredClone(layer)), loss: net.lossKind };
  if (net.inputShape) description.inputShape = [...net.inputShape];
  return description;
}

export function namedTensors(net: Network): NamedTensor[] {
  return net.paramNames.map((name) => ({ name, shape: net.paramShape(name), data: net.params[name].slice() }));
}

/**
 * The model file: parameters and architecture, plus, when the network has an optimizer, its
 * settings, step count and state tensors (optimizer.state1/2), and, when given, the training
 * progress (training.order, I32, holds a shuffled-epoch permutation; training.loss, F32, the
 * step losses; the evaluations in the metadata), so a run can resume exactly with its history,
 * and the settings of the run (any JSON object, e.g. the CLI's flags) to check a resume against.
 * A network with a non-finite parameter is refused: no file is written that cannot be loaded.
 */
export interface ModelExtras {
  /** The table transform the network's inputs were made with (stored as metadata table_transform). */
  table?: TableTransform;
  /** The run's settings (the CLI's flags), so a resume can refuse conflicting ones. */
  settings?: Record<string, unknown>;
}

export function encodeModel(net: Network, progress?: TrainProgress, extras: ModelExtras = {}): Uint8Array {
  const tensors = [...namedTensors(net), ...net.buffers()];
  for (const { name, data } of tensors) {
    if (data instanceof BigInt64Array) continue;
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ValueError(`${name}[${bad}] is ${data[bad]}: a network with non-finite parameters or statistics is not saved`);
  }
  const metadata: Record<string, string> = {
    format: net instanceof MLP ? MODEL_FORMAT : NETWORK_FORMAT,
    network: JSON.stringify(describeNetwork(net)),
  };
  if (net instanceof MLP) {
    metadata.sizes = JSON.stringify(net.sizes);
    metadata.activations = JSON.stringify(net.activations);
  }
  const optimizer = net.optimizerState();
  if (optimizer) {
    metadata.optimizer = JSON.stringify(optimizer.options);
    metadata.optimizer_step = String(optimizer.step);
    optimizer.state.forEach((data, i) => tensors.push({ name: `optimizer.state${i + 1}`, shape: [data.length], data }));
  }
  if (progress) {
    // NaN (no spare normal) does not survive JSON: it is written as null, which fromState reads.
    metadata.training = JSON.stringify({ iterations: progress.iterations, random: progress.random });
    if (progress.order) tensors.push({ name: 'training.order', shape: [progress.order.length], data: Int32Array.from(progress.order) });
    if (progress.loss) tensors.push({ name: 'training.loss', shape: [progress.loss.length], data: Float32Array.from(progress.loss) });
    if (progress.evaluations) metadata.evaluations = JSON.stringify(progress.evaluations);
  }
  if (extras.settings) metadata.settings = JSON.stringify(extras.settings);
  if (extras.table) metadata.table_transform = encodeTableTransform(extras.table);
  if (net.layerSpecs.some((layer) => layer.kind === 'dropout')) metadata.dropout_random = JSON.stringify(net.dropoutState());
  metadata[METADATA_CHECKSUM_KEY] = metadataChecksum(metadata);
  return encodeSafetensors(tensors, metadata);
}

export interface DecodedModel {
  description: NetworkDescription;
  /** The MLP form (sizes, activations) when the file holds one, so it loads as an MLP. */
  mlp?: { sizes: number[]; activations: Activation[] };
  tensors: NamedTensor[];
  /** The batchnorm layers' running statistics and batch counts, by name. */
  buffers: NamedTensor[];
  optimizer?: { options: OptimizerOptions; step: number; state: Float32Array[] };
  progress?: TrainProgress;
  table?: TableTransform;
  /** The dropout layers' random state, when the network has dropout. */
  dropoutRandom?: number[];
  /** The run's settings, as given to encodeModel. */
  settings?: Record<string, unknown>;
}

/** The parameter and buffer shapes a description implies (layers.ts derives them), by name, and its outputs. */
function describedShapes(description: NetworkDescription): {
  shapes: Map<string, number[]>; buffers: ReturnType<typeof bufferShapes>; outputs: number;
} {
  const geometry = networkGeometry(description.input, description.layers, description.loss, description.inputShape);
  return {
    shapes: new Map(parameterShapes(geometry).map(({ name, shape }) => [name, shape])),
    buffers: bufferShapes(geometry),
    outputs: geometry[geometry.length - 1].width,
  };
}

/**
 * What a model file holds, every part of it checked before any network is built or any memory
 * allocated: the description is a valid network, the tensors are exactly its parameters with
 * their shapes, the optimizer settings are valid, its state has the parameter block's length,
 * the progress is well-formed.
 */
export function decodeModel(bytes: Uint8Array, source = 'model file'): DecodedModel {
  const decoded = decodeSafetensors(bytes, source);
  const { metadata } = decoded;
  const fail = (problem: string): never => {
    throw new ModelFormatError(`${source}: ${problem}`);
  };
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch {
      return fail(`metadata ${key} is not valid JSON`);
    }
  };
  const take = (name: string) => {
    const index = decoded.tensors.findIndex((t) => t.name === name);
    return index < 0 ? undefined : decoded.tensors.splice(index, 1)[0];
  };
  // Files of earlier releases carry no metadata checksum; every file this one writes does.
  if (metadata[METADATA_CHECKSUM_KEY] !== undefined && metadata[METADATA_CHECKSUM_KEY] !== metadataChecksum(metadata)) {
    fail('metadata checksum mismatch: the metadata was edited or is corrupt');
  }
  if (metadata.format !== MODEL_FORMAT && metadata.format !== NETWORK_FORMAT) {
    fail(`metadata format is '${metadata.format}', expected '${MODEL_FORMAT}' or '${NETWORK_FORMAT}'`);
  }

  let mlp: DecodedModel['mlp'];
  if (metadata.sizes !== undefined || metadata.activations !== undefined) {
    const sizes = json('sizes');
    const activations = json('activations');
    const isSizes = Array.isArray(sizes) && sizes.length >= 2 && sizes.every((s) => Number.isInteger(s) && s > 0);
    const isActivations = Array.isArray(activations) && activations.every((a) => ACTIVATIONS.includes(a));
    if (!isSizes || !isActivations || (activations as unknown[]).length !== (sizes as unknown[]).length - 2) {
      fail(`metadata does not describe a network (sizes ${metadata.sizes}, activations ${metadata.activations})`);
    }
    mlp = { sizes: sizes as number[], activations: activations as Activation[] };
  }
  let description: NetworkDescription;
  if (metadata.network !== undefined) {
    const network = json('network') as NetworkDescription;
    description = { input: network?.input, layers: network?.layers, loss: network?.loss };
    if (network?.inputShape !== undefined) description.inputShape = network.inputShape;
  } else if (mlp) {
    description = { input: mlp.sizes[0], layers: mlpLayers(mlp.sizes, mlp.activations), loss: 'softmax-cross-entropy' };
  } else {
    return fail('metadata has no network description');
  }
  let shapes: Map<string, number[]>;
  let described: ReturnType<typeof describedShapes>;
  try {
    described = describedShapes(description);
    shapes = described.shapes;
  } catch (error) {
    return fail(`metadata network does not describe a network: ${(error as Error).message}`);
  }
  if (mlp && JSON.stringify(description) !== JSON.stringify({ input: mlp.sizes[0], layers: mlpLayers(mlp.sizes, mlp.activations), loss: 'softmax-cross-entropy' })) {
    fail('metadata sizes/activations and network describe different networks');
  }
  const paramFloats = [...shapes.values()].reduce((sum, shape) => sum + Math.ceil(shape.reduce((a, b) => a * b, 1) / 4) * 4, 0);

  let optimizer: DecodedModel['optimizer'];
  if (metadata.optimizer !== undefined) {
    let options: OptimizerOptions;
    const given = json('optimizer') as OptimizerOptions; // outside the try: its error already names the file
    try {
      options = resolveOptimizer(given);
    } catch (error) {
      return fail(`metadata optimizer: ${(error as Error).message}`);
    }
    const step = Number(metadata.optimizer_step);
    if (!Number.isSafeInteger(step) || step < 0) fail(`metadata optimizer_step is '${metadata.optimizer_step}': must be an integer >= 0`);
    const state = [take('optimizer.state1'), take('optimizer.state2')].filter((t) => t).map((t) => t!);
    const buffers = stateBuffers(options.type);
    if (state.length !== buffers || state.some((t) => !(t.data instanceof Float32Array) || t.data.length !== paramFloats)) {
      fail(`optimizer state must be ${buffers} F32 tensor(s) of ${paramFloats} values for ${options.type} on this network`);
    }
    optimizer = { options, step, state: state.map((t) => t.data as Float32Array) };
  }
  let progress: TrainProgress | undefined;
  if (metadata.training !== undefined) {
    const training = json('training') as { iterations?: unknown; random?: unknown };
    if (!Number.isSafeInteger(training?.iterations) || (training.iterations as number) < 0 || !Array.isArray(training.random)) {
      fail('metadata training must hold an integer iterations >= 0 and the random state');
    }
    const order = take('training.order');
    if (order && !(order.data instanceof Int32Array)) fail('training.order must be an I32 tensor');
    const iterations = training.iterations as number;
    const loss = take('training.loss');
    if (loss && (!(loss.data instanceof Float32Array) || loss.shape.length !== 1 || loss.data.length > iterations || !loss.data.every(Number.isFinite))) {
      fail(`training.loss must be an F32 tensor of at most ${iterations} finite values`);
    }
    let evaluations: EvaluationRecord[] | undefined;
    if (metadata.evaluations !== undefined) {
      evaluations = json('evaluations') as EvaluationRecord[];
      if (!Array.isArray(evaluations) || !evaluations.every((record) => isEvaluationRecord(record, iterations))) {
        fail(`metadata evaluations must be a list of evaluation records taken by iteration ${iterations}`);
      }
    }
    progress = {
      iterations, random: training.random as number[], order: order?.data as Int32Array | undefined,
      loss: loss?.data as Float32Array | undefined, evaluations,
    };
  }
  let settings: Record<string, unknown> | undefined;
  if (metadata.settings !== undefined) {
    settings = json('settings') as Record<string, unknown>;
    if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) fail('metadata settings must be a JSON object');
  }

  const buffers: NamedTensor[] = [];
  for (const { name, shape, kind } of described.buffers) {
    const type = kind === 'batch-count' ? 'I64' : 'F32';
    const tensor = take(name);
    if (!tensor) return fail(`no tensor '${name}' (the running statistics of a batchnorm layer)`);
    if (tensor.shape.join(',') !== shape.join(',')) fail(`${name} has shape [${tensor.shape}], the network needs [${shape}]`);
    if (!(tensor.data instanceof (type === 'I64' ? BigInt64Array : Float32Array))) fail(`${name} must be ${type}`);
    buffers.push(tensor);
  }
  const tensors = decoded.tensors;
  for (const [name, shape] of shapes) {
    const tensor = tensors.find((t) => t.name === name);
    if (!tensor) fail(`no tensor '${name}'`);
    if (tensor!.shape.join(',') !== shape.join(',')) fail(`${name} has shape [${tensor!.shape}], the network needs [${shape}]`);
    if (!(tensor!.data instanceof Float32Array)) fail(`${name} must be F32`);
  }
  const extra = tensors.filter((t) => !shapes.has(t.name)).map((t) => t.name);
  if (extra.length) fail(`tensors the network does not have: ${extra.join(', ')}`);
  let table: TableTransform | undefined;
  if (metadata.table_transform !== undefined) {
    table = checkTableTransform(json('table_transform'), `${source}: table_transform`);
    const outputs = described.outputs;
    const wanted = table.task === 'classification' ? table.classNames!.length : 1;
    if (table.featureNames.length !== description.input || outputs !== wanted) {
      fail(`table_transform makes ${table.featureNames.length} features and ${wanted} outputs, the network takes ${description.input} and gives ${outputs}`);
    }
  }
  let dropoutRandom: number[] | undefined;
  if (metadata.dropout_random !== undefined) {
    const words = json('dropout_random') as number[];
    try {
      Random.fromState(words);
    } catch (error) {
      return fail(`metadata dropout_random: ${(error as Error).message}`);
    }
    dropoutRandom = words;
  }
  return { description, mlp, tensors, buffers, optimizer, progress, table, dropoutRandom, settings };
}

/** An evaluation record as train() makes them (and charts read them), taken by `iterations`. */
function isEvaluationRecord(record: unknown, iterations: number): boolean {
  const r = record as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const measured = (e: unknown) => {
    if (e === undefined) return true;
    const m = e as Record<string, unknown>;
    return m !== null && typeof m === 'object' && finite(m.loss)
      && (m.accuracy === undefined || finite(m.accuracy)) && (m.r2 === undefined || finite(m.r2));
  };
  return r !== null && typeof r === 'object' && Number.isSafeInteger(r.epoch) && (r.epoch as number) >= 0
    && Number.isSafeInteger(r.iterations) && (r.iterations as number) >= 0 && (r.iterations as number) <= iterations
    && finite(r.elapsed) && measured(r.train) && measured(r.validation) && measured(r.test);
}

function mlpLayers(sizes: number[], activations: Activation[]): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (let l = 1; l < sizes.length; l++) {
    layers.push({ kind: 'dense', units: sizes[l] });
    if (l < sizes.length - 1) layers.push({ kind: 'activation', function: activations[l - 1] });
  }
  return layers;
}

/**
 * net.assignBuffers and net.assignParams, all or nothing (the buffers are put back when the
 * parameters fail), with their errors reported as a file's format errors.
 */
export function assignOrFail(
  net: Network, values: Record<string, ArrayLike<number>>, source: string, buffers: Record<string, ArrayLike<number> | BigInt64Array> = {},
): void {
  const before = net.buffers();
  try {
    net.assignBuffers(buffers, source);
    net.assignParams(values, source);
  } catch (error) {
    net.assignBuffers(Object.fromEntries(before.map((t) => [t.name, t.data])), source);
    throw error instanceof ModelFormatError ? error : new ModelFormatError((error as Error).message);
  }
}

/**
 * Copies named tensors into the network, all or nothing: every parameter must be there with its
 * shape and finite values, and nothing else may be, before anything is written.
 */
export function assignTensors(net: Network, tensors: NamedTensor[], source: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const values: Record<string, ArrayLike<number>> = {};
  for (const name of net.paramNames) {
    const tensor = byName.get(name);
    const shape = net.paramShape(name);
    if (!tensor) throw new ModelFormatError(`${source}: no tensor '${name}'`);
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new ModelFormatError(`${source}: ${name} has shape [${tensor.shape}], the network needs [${shape}]`);
    }
    if (tensor.data instanceof BigInt64Array) throw new ModelFormatError(`${source}: ${name} is I64: parameters are F32`);
    values[name] = tensor.data;
  }
  const extra = tensors.filter((t) => !net.paramNames.includes(t.name)).map((t) => t.name);
  if (extra.length) throw new ModelFormatError(`${source}: tensors the network does not have: ${extra.join(', ')}`);
  assignOrFail(net, values, source);
}

/** The network a model file describes, with its optimizer state restored. */
export function modelFromBytes(runtime: Runtime, bytes: Uint8Array, source = 'model file'): Network {
  return checkpointFromBytes(runtime, bytes, source).net;
}

/**
 * The network (an MLP when the file holds one) with its optimizer state, the saved progress, and
 * the table transform its inputs are made with (when it was trained on a table) and the run's
 * settings (when the CLI saved them).
 */
export function checkpointFromBytes(
  runtime: Runtime, bytes: Uint8Array, source = 'model file',
): { net: Network; progress?: TrainProgress; table?: TableTransform; settings?: Record<string, unknown> } {
  const { description, mlp, tensors, buffers, optimizer, progress, table, dropoutRandom, settings } = decodeModel(bytes, source);
  const net = mlp
    ? new MLP(runtime, { sizes: mlp.sizes, activation: mlp.activations })
    : new Network(runtime, description);
  try {
    assignTensors(net, tensors, source);
    net.assignBuffers(Object.fromEntries(buffers.map((t) => [t.name, t.data])), source);
    if (optimizer) net.restoreOptimizerState(optimizer);
    if (dropoutRandom) net.restoreDropoutState(dropoutRandom);
  } catch (error) {
    net.dispose();
    throw error instanceof SimdnetError && !(error.constructor === SimdnetError) ? new ModelFormatError(`${source}: ${error.message}`) : error;
  }
  return { net, progress, table, settings };
}

/** The 2-D shape a tensor has in its text file: [out, in·kh·kw] for a conv2d weight. */
function textShape(shape: number[]): number[] {
  return shape.length > 2 ? [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)] : shape;
}

/** { 'W1.txt': '…', 'b1.txt': '…', … } as np.savetxt writes them. */
export function savetxtFiles(net: Network): Record<string, string> {
  const files: Record<string, string> = {};
  for (const tensor of namedTensors(net)) files[`${tensor.name}.txt`] = formatSavetxt({ ...tensor, shape: textShape(tensor.shape) });
  return files;
}

export function assignSavetxtFiles(net: Network, files: Record<string, string>, source: string): void {
  const tensors = net.paramNames.map((name) => {
    const text = files[`${name}.txt`];
    if (text === undefined) throw new ModelFormatError(`${source}: missing ${name}.txt`);
    const tensor = parseLoadtxt(text, `${source}/${name}.txt`, textShape(net.paramShape(name)));
    return { ...tensor, name, shape: net.paramShape(name) };
  });
  assignTensors(net, tensors, source);
}
