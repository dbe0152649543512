// CompressedRows' memory: the weight gradient's scratch is allocated for the largest batch
// asked so far and kept, a larger batch replaces it, and dispose (any number of times) gives
// every byte back.
import { beforeAll, describe, expect, it } from 'vitest';
import { CompressedRows } from '../src/compressed-rows.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray } from './support/reference.js';
import { put, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

describe('CompressedRows memory', () => {
  it('keeps one scratch block, for the largest batch so far; dispose frees it all, once', () => {
    const dense = put(runtime, randomArray(20 * 7, 1));
    const start = runtime.arena.allocatedBytes;
    const rows = new CompressedRows(runtime, dense, 20, 7);
    const compressed = runtime.arena.allocatedBytes;
    const scratch = rows.gradientScratch(10);
    const with10 = runtime.arena.allocatedBytes;
    expect(with10).toBeGreaterThan(compressed);
    // A smaller or equal batch reuses the block.
    expect(rows.gradientScratch(4)).toBe(scratch);
    expect(runtime.arena.allocatedBytes).toBe(with10);
    expect(rows.gradientScratch(10)).toBe(scratch);
    expect(runtime.arena.allocatedBytes).toBe(with10);
    // A larger one replaces it: the old block is given back.
    rows.gradientScratch(20);
    const with20 = runtime.arena.allocatedBytes;
    const alone = new CompressedRows(runtime, dense, 20, 7);
    const before = runtime.arena.allocatedBytes;
    alone.gradientScratch(20);
    expect(with20 - compressed).toBe(runtime.arena.allocatedBytes - before);
    alone.dispose();
    rows.dispose();
    expect(runtime.arena.allocatedBytes).toBe(start);
    // A second dispose frees nothing twice: another block allocated since stays allocated.
    const other = runtime.arena.alloc(64);
    const withOther = runtime.arena.allocatedBytes;
    expect(withOther).toBeGreaterThan(start);
    rows.dispose();
    expect(runtime.arena.allocatedBytes).toBe(withOther);
    runtime.arena.release(other);
  });
});
