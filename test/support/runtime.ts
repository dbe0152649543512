// The runtime under test: SIMDNET_BUILD=simd|relaxed-simd|auto (default auto) picks the kernel
// build, so CI runs the whole suite once per build.
import '../../src/wasm-node.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { KernelBuildChoice } from '../../src/wasm.js';

export const buildUnderTest = (process.env.SIMDNET_BUILD ?? 'auto') as KernelBuildChoice;

export function testRuntime(): Promise<Runtime> {
  return createRuntime(buildUnderTest);
}

/** Copies an array into a fresh arena block; returns its byte offset. */
export function put(runtime: Runtime, values: Float32Array | Int32Array): number {
  const offset = runtime.arena.alloc(values.byteLength + 16);
  const Ctor = values instanceof Float32Array ? Float32Array : Int32Array;
  new Ctor(runtime.arena.memory.buffer, offset, values.length).set(values as never);
  return offset;
}

export function getF32(runtime: Runtime, offset: number, length: number): Float32Array {
  return new Float32Array(runtime.arena.memory.buffer, offset, length).slice();
}
