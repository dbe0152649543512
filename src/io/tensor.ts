/** A named tensor, the unit every file format reads and writes: F32 values, I32 (indices) or I64 (counts). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}
