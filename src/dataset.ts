// A labelled dataset copied once into linear memory, so that training draws batches and
// evaluates the full set inside wasm without copying anything per iteration.
import { ShapeError } from './errors.js';
import { checkInputs, labelsToIndices, type Targets } from './inputs.js';
import type { Runtime } from './runtime.js';

export interface LabelledImages {
  /** Row-major [count×features] values. */
  images: Float32Array;
  /** Class index per row. */
  labels: Targets;
}

export class ResidentDataset {
  readonly count: number;
  /** Byte offsets of the f32 images and the i32 labels in linear memory. */
  readonly images: number;
  readonly labels: number;
  private released = false;

  constructor(
    private readonly runtime: Runtime,
    data: LabelledImages,
    readonly features: number,
    classes: number,
    what = 'dataset',
  ) {
    const count = checkInputs(data.images, features, `${what} images`);
    if (data.labels.length !== count && data.labels.length !== count * classes) {
      throw new ShapeError(`${what} has ${count} images but ${data.labels.length} labels`);
    }
    const { arena } = runtime;
    this.count = count;
    this.images = arena.alloc(count * features * 4);
    this.labels = arena.alloc(count * 4);
    const buffer = arena.memory.buffer;
    new Float32Array(buffer, this.images, count * features).set(data.images);
    try {
      labelsToIndices(data.labels, count, classes, new Int32Array(buffer, this.labels, count));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.runtime.arena.release(this.images);
    this.runtime.arena.release(this.labels);
  }
}
