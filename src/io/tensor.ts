/** A named f32 tensor, the unit every file format reads and writes. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}
