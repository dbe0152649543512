import { describe, expect, it } from 'vitest';
import { Arena, f32View, i32View, LiveView } from '../src/arena.js';
import { OutOfMemoryError, SimdnetError, ValueError } from '../src/errors.js';

// The arena over a plain WebAssembly.Memory (no kernel module): its blocks, free list, growth
// and the views that survive growth. One page is 65536 bytes.
const PAGE = 65536;
const memory = (initial = 1, maximum = 4) => new WebAssembly.Memory({ initial, maximum });

describe('Arena.alloc', () => {
  it('starts at the heap base rounded up to 16 bytes and hands out 16-byte multiples', () => {
    const arena = new Arena(memory(), 5);
    expect(arena.alloc(1)).toBe(16);
    expect(arena.alloc(16)).toBe(32);
    expect(arena.alloc(17)).toBe(48);
    expect(arena.alloc(0)).toBe(80); // a 0-byte request still takes one 16-byte block
    expect(arena.alloc(3)).toBe(96);
    expect(arena.allocatedBytes).toBe(16 + 16 + 32 + 16 + 16);
  });

  it('keeps an aligned heap base as it is', () => {
    const arena = new Arena(memory(), 32);
    expect(arena.alloc(8)).toBe(32);
  });

  it('zero-fills every block, a reused one too, and only the block', () => {
    const mem = memory();
    const arena = new Arena(mem, 0);
    const a = arena.alloc(32);
    const b = arena.alloc(16);
    new Uint8Array(mem.buffer).fill(0xff, a, b + 16);
    arena.release(a);
    expect(arena.alloc(20)).toBe(a);
    const bytes = new Uint8Array(mem.buffer);
    expect(Array.from(bytes.subarray(a, a + 32))).toEqual(new Array(32).fill(0));
    expect(Array.from(bytes.subarray(b, b + 16))).toEqual(new Array(16).fill(0xff));
  });

  it('reuses the first free block large enough, splitting it, and an exact fit whole', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(32);
    const keep1 = arena.alloc(16);
    const b = arena.alloc(64);
    const keep2 = arena.alloc(16);
    arena.release(a);
    arena.release(b);
    // 48 bytes do not fit in a's 32: b's 64 are split, its first 48 handed out.
    expect(arena.alloc(48)).toBe(b);
    // The 16 left of b, then a's 32 whole.
    expect(arena.alloc(16)).toBe(a);
    expect(arena.alloc(16)).toBe(a + 16);
    expect(arena.alloc(16)).toBe(b + 48);
    // Nothing free below the top now: the next block comes from the top.
    expect(arena.alloc(16)).toBe(keep2 + 16);
    expect(arena.allocatedBytes).toBe(32 + 16 + 64 + 16 + 16);
    expect(keep1).toBe(32);
  });

  it('grows the memory by whole pages when the top passes its end, and only then', () => {
    const mem = memory(1, 4);
    const arena = new Arena(mem, 0);
    const buffer = mem.buffer;
    arena.alloc(PAGE - 16);
    arena.alloc(16); // ends exactly at the page's end
    // Not even grown by 0 pages, which would detach every view of the memory.
    expect(mem.buffer).toBe(buffer);
    const at = arena.alloc(PAGE + 1); // needs two more pages
    expect(at).toBe(PAGE);
    expect(mem.buffer.byteLength).toBe(3 * PAGE);
  });

  it('does not grow a memory that already holds more than a page past the block', () => {
    const mem = memory(3, 4);
    const buffer = mem.buffer;
    const arena = new Arena(mem, 0);
    expect(arena.alloc(16)).toBe(0);
    expect(arena.alloc(PAGE)).toBe(16);
    expect(mem.buffer).toBe(buffer);
  });

  it('refuses to grow past the maximum with an OutOfMemoryError naming the sizes', () => {
    const arena = new Arena(memory(1, 2), 0);
    arena.alloc(PAGE);
    let error: unknown;
    try {
      arena.alloc(2 * PAGE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as Error).message).toBe(`out of WebAssembly memory: needed ${3 * PAGE} bytes, the engine refused to grow past ${PAGE}`);
    // The failed request took nothing.
    expect(arena.allocatedBytes).toBe(PAGE);
    expect(arena.alloc(PAGE)).toBe(PAGE);
  });
});

describe('Arena.release', () => {
  it('refuses an offset it did not hand out, or one already released', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    expect(() => arena.release(a + 16)).toThrow(new SimdnetError(`arena: ${a + 16} is not an allocated block`));
    arena.release(a);
    expect(() => arena.release(a)).toThrow(SimdnetError);
    expect(() => arena.release(a)).toThrow(`arena: ${a} is not an allocated block`);
  });

  it('merges a freed block with the free block after it', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    const b = arena.alloc(16);
    arena.alloc(16); // keeps a and b below the top
    arena.release(b);
    arena.release(a);
    // One 32-byte block at a now.
    expect(arena.alloc(32)).toBe(a);
  });

  it('merges a freed block with the free block before it', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    const b = arena.alloc(16);
    arena.alloc(16);
    arena.release(a);
    arena.release(b);
    expect(arena.alloc(32)).toBe(a);
  });

  it('merges with both neighbours into one block', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    const b = arena.alloc(16);
    const c = arena.alloc(16);
    const d = arena.alloc(16);
    arena.alloc(16);
    arena.release(a);
    arena.release(c);
    arena.release(b);
    expect(arena.alloc(48)).toBe(a);
    // d was never freed: the next block comes from the top, not from d.
    expect(arena.alloc(16)).toBe(d + 32);
  });

  it('keeps the free list in offset order, whatever the order of release', () => {
    const arena = new Arena(memory(), 0);
    const blocks = [0, 1, 2, 3, 4, 5].map(() => arena.alloc(16));
    arena.alloc(16);
    for (const i of [4, 0, 2]) arena.release(blocks[i]);
    // First fit in offset order: 0, then 2, then 4.
    expect(arena.alloc(16)).toBe(blocks[0]);
    expect(arena.alloc(16)).toBe(blocks[2]);
    expect(arena.alloc(16)).toBe(blocks[4]);
  });

  it('does not merge blocks that are not adjacent', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    arena.alloc(16);
    const c = arena.alloc(16);
    const top = arena.alloc(16);
    arena.release(a);
    arena.release(c);
    // Neither free block holds 32 bytes: a 32-byte block comes from the top.
    expect(arena.alloc(32)).toBe(top + 16);
  });

  it('gives a free block at the top back to the unallocated region, merged ones too', () => {
    const arena = new Arena(memory(), 0);
    const a = arena.alloc(16);
    const b = arena.alloc(32);
    const c = arena.alloc(16);
    arena.release(b);
    arena.release(c);
    // b and c merged and returned to the top: a larger block starts at b.
    expect(arena.alloc(64)).toBe(b);
    arena.release(b);
    arena.release(a);
    expect(arena.allocatedBytes).toBe(0);
    expect(arena.alloc(PAGE - 16)).toBe(0);
  });

  it('counts the bytes handed out', () => {
    const arena = new Arena(memory(), 0);
    expect(arena.allocatedBytes).toBe(0);
    const a = arena.alloc(20);
    const b = arena.alloc(100);
    expect(arena.allocatedBytes).toBe(32 + 112);
    arena.release(a);
    expect(arena.allocatedBytes).toBe(112);
    arena.release(b);
    expect(arena.allocatedBytes).toBe(0);
  });
});

describe('LiveView', () => {
  it('keeps its view while the memory does not grow, and rebuilds it after growth', () => {
    const mem = memory(1, 4);
    const view = f32View(mem, 16, 3);
    const first = view.array;
    expect(first).toBeInstanceOf(Float32Array);
    expect([first.byteOffset, first.length]).toEqual([16, 3]);
    expect(view.array).toBe(first);
    first[1] = 2.5;
    mem.grow(1);
    const second = view.array;
    expect(second === first).toBe(false);
    expect(second.buffer).toBe(mem.buffer);
    expect([second.byteOffset, second.length, second[1]]).toEqual([16, 3, 2.5]);
    expect(view.array).toBe(second);
    expect([view.offset, view.length]).toEqual([16, 3]);
  });

  it('i32View and a LiveView of Float64Array read the same memory', () => {
    const mem = memory();
    new Int32Array(mem.buffer, 32, 2).set([7, -9]);
    expect(Array.from(i32View(mem, 32, 2).array)).toEqual([7, -9]);
    expect(i32View(mem, 32, 2).array).toBeInstanceOf(Int32Array);
    const f64 = new LiveView(mem, 64, 1, (b, o, n) => new Float64Array(b, o, n));
    f64.array[0] = 0.1;
    expect(new Float64Array(mem.buffer, 64, 1)[0]).toBe(0.1);
  });
});

describe('red zones', () => {
  it('follow every block: a write inside the block leaves them, one byte past it is reported', () => {
    const mem = memory();
    const arena = new Arena(mem, 0, 32);
    const a = arena.alloc(20);
    const b = arena.alloc(16);
    expect(b).toBe(64); // 20 bytes and a 32-byte zone take 64
    const bytes = new Uint8Array(mem.buffer);
    bytes.fill(7, a, a + 20);
    bytes.fill(7, b, b + 16);
    expect(arena.overwrittenRedZones()).toEqual([]);
    bytes[b + 16] = 0;
    expect(arena.overwrittenRedZones()).toEqual([b + 16]);
    bytes[a + 20 + 31] = 1;
    expect(arena.overwrittenRedZones()).toEqual([a + 20, b + 16]);
  });

  it('inside a block, for the buffers laid out in it; released with the block', () => {
    const mem = memory();
    const arena = new Arena(mem, 0, 16);
    const block = arena.alloc(96);
    arena.redZone(block + 40);
    expect(Array.from(new Uint8Array(mem.buffer, block + 40, 16))).toEqual(new Array(16).fill(0xa5));
    new Float32Array(mem.buffer, block + 36, 1)[0] = 1; // the float before the zone
    expect(arena.overwrittenRedZones()).toEqual([]);
    new Float32Array(mem.buffer, block + 40, 1)[0] = 1;
    expect(arena.overwrittenRedZones()).toEqual([block + 40]);
    expect(() => arena.redZone(block + 100)).toThrow(/not inside an allocated block/);
    new Uint8Array(mem.buffer, block + 40, 4).fill(0xa5); // the pattern restored
    expect(arena.overwrittenRedZones()).toEqual([]);
    arena.release(block);
    expect(arena.overwrittenRedZones()).toEqual([]);
    expect(arena.allocatedBytes).toBe(0);
  });

  it('still reports a zone overwritten before its block was released', () => {
    const mem = memory();
    const arena = new Arena(mem, 0, 16);
    const block = arena.alloc(8);
    new Uint8Array(mem.buffer)[block + 8] = 0;
    arena.release(block);
    expect(arena.overwrittenRedZones()).toEqual([block + 8]);
    const reused = arena.alloc(8); // the same memory, a fresh zone
    expect(reused).toBe(block);
    expect(arena.overwrittenRedZones()).toEqual([block + 8]);
  });

  it('none by default; a size that is not a whole number of bytes is refused', () => {
    const mem = memory();
    const arena = new Arena(mem, 0);
    expect(arena.alloc(16)).toBe(0);
    expect(arena.alloc(16)).toBe(16);
    arena.redZone(4); // nothing to mark
    expect(arena.overwrittenRedZones()).toEqual([]);
    expect(() => new Arena(mem, 0, -16)).toThrow(ValueError);
    expect(() => new Arena(mem, 0, 1.5)).toThrow(/redZoneBytes is 1.5/);
  });
});
