// A dataset copied once into linear memory, so that training draws batches and evaluates the
// full set inside wasm without copying anything per iteration. Targets are stored as the
// network's loss head reads them (inputs.ts writeTargets).
import { CompressedRows } from './compressed-rows.js';
import { ShapeError } from './errors.js';
import { checkInputs, writeTargets, type Targets } from './inputs.js';
import type { Network } from './network.js';

export interface LabelledImages {
  /** Row-major [count×features] values. */
  images: Float32Array;
  /** Class index per row (or one-hot rows). */
  labels: Targets;
}

/** The user's own data: input rows and their targets (see Targets for each loss). */
export interface InputsAndTargets {
  inputs: Float32Array;
  targets: Targets;
}

export type DataSet = LabelledImages | InputsAndTargets;

export function inputsOf(set: DataSet): Float32Array {
  return 'inputs' in set ? set.inputs : set.images;
}

export function targetsOf(set: DataSet): Targets {
  return 'targets' in set ? set.targets : set.labels;
}

/** What decides a resident dataset's layout: any network that will train on it, or just these. */
export type DatasetLayout = Pick<Network, 'runtime' | 'inputSize' | 'outputSize' | 'lossKind'>;

export class ResidentDataset {
  readonly count: number;
  /** Byte offsets of the f32 inputs and of the targets in linear memory. */
  readonly inputs: number;
  readonly targets: number;
  /** The inputs' nonzero entries, when compress() made them (for a sparse first layer). */
  compressed: CompressedRows | undefined;
  private released = false;

  constructor(private readonly net: DatasetLayout, data: DataSet, what = 'dataset') {
    const x = inputsOf(data);
    const t = targetsOf(data);
    const features = net.inputSize;
    const count = checkInputs(x, features, `${what} inputs`);
    const perRow = net.lossKind === 'softmax-cross-entropy' ? 1 : net.outputSize;
    if (t.length !== count * perRow && t.length !== count * net.outputSize) {
      const [rowsName, targetsName] = 'images' in data ? ['images', 'labels'] : ['input rows', 'target values'];
      throw new ShapeError(`${what} has ${count} ${rowsName} but ${t.length} ${targetsName}`);
    }
    const { arena } = net.runtime;
    this.count = count;
    this.inputs = arena.alloc(count * features * 4);
    try {
      this.targets = arena.alloc(count * perRow * 4);
    } catch (error) {
      arena.release(this.inputs);
      throw error;
    }
    // Views made after both allocations: an allocation may grow (and detach) the memory.
    const buffer = arena.memory.buffer;
    new Float32Array(buffer, this.inputs, count * features).set(x);
    try {
      writeTargets(t, count, net.outputSize, net.lossKind, buffer, this.targets);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Compresses the inputs to their nonzero entries (once) and returns their density. */
  compress(): CompressedRows {
    this.compressed ??= new CompressedRows(this.net.runtime, this.inputs, this.count, this.net.inputSize);
    return this.compressed;
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.compressed?.dispose();
    this.net.runtime.arena.release(this.inputs);
    this.net.runtime.arena.release(this.targets);
  }
}
