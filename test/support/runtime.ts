// The runtime under test: SIMDNET_BUILD=simd|relaxed-simd|auto (default auto) picks the kernel
// build, so CI runs the whole suite once per build.
//
// Every such runtime follows each block of memory and each workspace buffer with a red zone
// (src/arena.ts), and after every test of a file that imports this module, none may have been
// written into: a kernel that writes past its buffer fails the test that ran it. Nor may the
// memory below the kernels' static data, where writes through a null pointer land.
import { afterEach, expect } from 'vitest';
import '../../src/wasm-node.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import type { KernelBuildChoice } from '../../src/wasm.js';

export const buildUnderTest = (process.env.SIMDNET_BUILD ?? 'auto') as KernelBuildChoice;

const runtimes: Runtime[] = [];

/** A runtime of the build under test with these options, red zones, and the check after every test. */
export async function testRuntime(options: Omit<RuntimeOptions, 'redZoneBytes'> = {}): Promise<Runtime> {
  const runtime = await createRuntime(buildUnderTest, { ...options, redZoneBytes: 64 });
  runtimes.push(runtime);
  return runtime;
}

// asc leaves the first 1 KB of linear memory unused (its static data starts at 1024: binaryen's
// low-memory-unused), so a kernel that writes through a pointer of 0, an absent buffer's (the
// first learning layer's input gradient), writes there: it must stay zero.
const NULL_PAGE_BYTES = 1024;

afterEach(() => {
  for (const runtime of runtimes) {
    expect(runtime.arena.overwrittenRedZones(), 'a kernel wrote past its buffer').toEqual([]);
    const nullPage = new Uint8Array(runtime.arena.memory.buffer, 0, NULL_PAGE_BYTES);
    expect(nullPage.findIndex((byte) => byte !== 0), 'a kernel wrote through a null pointer, at this offset').toBe(-1);
  }
});

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
