// A matrix already in linear memory, compressed to its nonzero entries (assembly/sparse.ts) for
// the sparse first-layer products. A dataset is compressed once, where it is resident; batches
// then pick their rows by index. The block costs 8 bytes per nonzero plus 4 per row (the column
// index and value of each entry, each row's start), about 38% of the dense f32 size at MNIST's
// 19% density.
import { ShapeError } from './errors.js';
import type { Runtime } from './runtime.js';

export class CompressedRows {
  /** Byte offset of the compressed block in linear memory. */
  readonly offset: number;
  readonly bytes: number;
  readonly nonzeros: number;
  private released = false;
  // The weight gradient's scratch (csrGemmTNScratchBytes), for batches of up to scratchRows rows.
  private scratchBlock = -1;
  private scratchRows = 0;

  /** Compresses the dense row-major f32 matrix [rows×cols] at byte offset `dense`. */
  constructor(
    private readonly runtime: Runtime,
    dense: number,
    readonly rows: number,
    readonly cols: number,
  ) {
    for (const [name, value] of [['rows', rows], ['cols', cols]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ShapeError(`compressed rows: ${name} must be a positive integer, got ${value}`);
    }
    const ex = runtime.kernels.exports;
    this.bytes = ex.csrByteSize(dense, rows, cols);
    this.offset = runtime.arena.alloc(this.bytes);
    ex.csrCompress(this.offset, dense, rows, cols);
    this.nonzeros = ex.csrNonzeros(this.offset);
  }

  /** Fraction of the entries that are stored (not +0). */
  get density(): number {
    return this.nonzeros / (this.rows * this.cols);
  }

  /** Density of the rows whose indices are the i32 array [count] at byte offset `indices`. */
  gatheredDensity(indices: number, count: number): number {
    return this.runtime.kernels.exports.csrGatheredNonzeros(this.offset, indices, count) / (count * this.cols);
  }

  /** Scratch for csrGemmTN(Gathered) over batches of up to `rows` rows, kept until dispose(). */
  gradientScratch(rows: number): number {
    if (rows > this.scratchRows) {
      if (this.scratchBlock >= 0) this.runtime.arena.release(this.scratchBlock);
      this.scratchBlock = -1;
      this.scratchBlock = this.runtime.arena.alloc(this.runtime.kernels.exports.csrGemmTNScratchBytes(this.cols, rows));
      this.scratchRows = rows;
    }
    return this.scratchBlock;
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    if (this.scratchBlock >= 0) this.runtime.arena.release(this.scratchBlock);
    this.runtime.arena.release(this.offset);
  }
}
