/** A named tensor, the unit every file format reads and writes: F32 values, or I32 (indices). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Int32Array;
}
