// chooseGemmTile against a stand-in module whose product takes a set time per register tile: the
// faster tile is chosen (6×8 only when clearly faster), the measurement runs once per build, and
// it gives back the blocks it took. The real module's choice is in gemm.test.ts. Each case names
// a build of its own ('six', 'four', …), so that no earlier choice for it is remembered. The
// time is a virtual clock that each stand-in product advances: the cases do not depend on how
// busy the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chooseGemmTile } from '../src/gemm-tile.js';
import type { Runtime } from '../src/runtime.js';
import type { KernelBuild } from '../src/wasm.js';

let clock = 0;
beforeEach(() => {
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A module and arena whose gemmNN takes `costs[tile]` ms of the virtual clock per call, recording every call. */
function standIn(build: KernelBuild, costs: Record<4 | 6, number>) {
  let tile: 4 | 6 = 4;
  const tiles: number[] = [];
  const products: number[][] = [];
  const blocks = new Map<number, number>();
  const sizes: number[] = [];
  let next = 1024;
  const exports = {
    gemmSetTileRows(rows: 4 | 6) {
      tile = rows;
      tiles.push(rows);
    },
    gemmNN(c: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean) {
      products.push([c, a, b, m, n, k, Number(accumulate)]);
      clock += costs[tile];
    },
  };
  const arena = {
    alloc(bytes: number) {
      const at = next;
      next += bytes;
      blocks.set(at, bytes);
      sizes.push(bytes);
      return at;
    },
    release(at: number) {
      expect(blocks.delete(at)).toBe(true);
    },
  };
  const runtime = { kernels: { build, exports }, arena } as unknown as Pick<Runtime, 'kernels' | 'arena'>;
  return { runtime, tiles, products, blocks, sizes };
}

describe('chooseGemmTile', () => {
  it('measures both tiles, interleaved after a warm-up, on a 48×392 by 392×64 product, and frees its blocks', () => {
    const { runtime, tiles, products, blocks, sizes } = standIn('six' as KernelBuild, { 4: 0.05, 6: 0.01 });
    expect(chooseGemmTile(runtime)).toBe(6);
    // 40 warm-up calls alternating 6, 4, …; then 10 samples of 6 and 4; then the choice.
    expect(tiles).toEqual([...Array.from({ length: 40 }, (_, call) => (call % 2 ? 4 : 6)), ...Array(10).fill([6, 4]).flat(), 6]);
    expect(products).toHaveLength(40 + 10 * 2 * 30);
    const [c, a, b] = products[0];
    expect(sizes).toEqual([48 * 392 * 4, 392 * 64 * 4, 48 * 64 * 4]); // A, B, C in bytes
    expect(new Set([c, a, b]).size).toBe(3);
    for (const product of products) expect(product).toEqual([c, a, b, 48, 64, 392, 0]);
    expect(blocks.size).toBe(0);
  });

  it('takes 4×8 when it is faster, or when 6×8 is only 1% faster (it must be 3% faster)', () => {
    expect(chooseGemmTile(standIn('four' as KernelBuild, { 4: 0.01, 6: 0.05 }).runtime)).toBe(4);
    expect(chooseGemmTile(standIn('tie' as KernelBuild, { 4: 0.03, 6: 0.03 }).runtime)).toBe(4);
    expect(chooseGemmTile(standIn('close' as KernelBuild, { 4: 0.05, 6: 0.0495 }).runtime)).toBe(4);
  });

  it('measures once per build: the next module of the build gets the same tile, set without a product', () => {
    expect(chooseGemmTile(standIn('once' as KernelBuild, { 4: 0.05, 6: 0.01 }).runtime)).toBe(6);
    const again = standIn('once' as KernelBuild, { 4: 0.01, 6: 0.05 });
    expect(chooseGemmTile(again.runtime)).toBe(6);
    expect(again.tiles).toEqual([6]);
    expect(again.products).toHaveLength(0);
  });
});
