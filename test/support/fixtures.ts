// The PyTorch fixtures scripts/make-reference.py wrote (test/fixtures/*.json), read the same way
// by every parity test.
import { readFileSync } from 'node:fs';
import type { NamedTensor } from '../../src/io/tensor.js';

export function loadFixture(file: string): any {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
}

/** A fixture's state_dict ({ name: { shape, values } }) as named f32 tensors. */
export function tensorsOf(state: Record<string, { shape: number[]; values: number[] }>): NamedTensor[] {
  return Object.entries(state).map(([name, t]) => ({ name, shape: t.shape, data: Float32Array.from(t.values) }));
}
