/**
 * Every error simdnet throws on bad input is a SimdnetError subclass, so callers can tell a
 * rejected input (which they can fix) from a bug (which they should report).
 */
export class SimdnetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An array has the wrong length or a dimension does not match the network. */
export class ShapeError extends SimdnetError {}

/** A value is out of its domain: NaN/Infinity in inputs, a label >= outputSize, a bad option. */
export class ValueError extends SimdnetError {}

/** A data file is not a well-formed IDX file (bad magic, type, dimensions, truncated payload). */
export class IdxFormatError extends SimdnetError {}

/** A saved-parameters file is missing, truncated, or does not match the network. */
export class ModelFormatError extends SimdnetError {}

/** A dataset file or directory is missing or unreadable. */
export class DatasetError extends SimdnetError {}

/** Linear memory cannot grow to hold what was asked for (a network, a batch, a dataset too large). */
export class OutOfMemoryError extends SimdnetError {}

/** The kernel module (simd.wasm or relaxed-simd.wasm) could not be fetched, read or compiled. */
export class KernelLoadError extends SimdnetError {}

/**
 * Training diverged: a step's loss, an evaluation's loss or the learning rate is not finite. The
 * run stops at that step, before anything non-finite is recorded or saved.
 */
export class DivergenceError extends SimdnetError {
  constructor(readonly iteration: number, what: string) {
    super(`training diverged at iteration ${iteration}: ${what} (a lower learning rate may help)`);
  }
}

/**
 * A worker thread of a runtime's thread pool failed during a pass (or the pass failed on the
 * calling thread while workers waited): the pool is stopped and every later pass on that
 * runtime throws this again. Create a new runtime to go on.
 */
export class ThreadError extends SimdnetError {}
