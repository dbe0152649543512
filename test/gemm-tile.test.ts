// chooseGemmTiles against a stand-in module whose products take a set time per register tile:
// the faster tiles are chosen (a larger one only when clearly faster than 4×8), the measurement runs
// once per build, and it gives back the blocks it took. The real module's choice is in
// gemm.test.ts. Each case names a build of its own ('six', 'four', …), so that no earlier choice
// for it is remembered. The time is a virtual clock that each stand-in product advances: the
// cases do not depend on how busy the machine is.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chooseGemmTiles } from '../src/gemm-tile.js';
import type { Runtime } from '../src/runtime.js';
import type { KernelBuild } from '../src/wasm.js';

let clock = 0;
beforeEach(() => {
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** ms of the virtual clock per call: gemmNN by its (strided) tile, gemmTN by its (adjacent) tile. */
interface Costs {
  NN: Partial<Record<number, number>>;
  TN: Partial<Record<number, number>>;
}

/** A module and arena whose products take `costs` of the virtual clock per call, recording every call. */
function standIn(build: KernelBuild, costs: Costs) {
  let tiles = { strided: 6, adjacent: 6 };
  const settings: [number, number][] = [];
  const products: { layout: 'NN' | 'TN'; tile: number; args: number[] }[] = [];
  const blocks = new Map<number, number>();
  const sizes: number[] = [];
  let next = 1024;
  const product = (layout: 'NN' | 'TN', tile: number, args: unknown[]) => {
    products.push({ layout, tile, args: args.map(Number) });
    const cost = costs[layout][tile];
    if (cost === undefined) throw new Error(`no cost set for ${layout} with ${tile}-row tiles`);
    clock += cost;
  };
  const exports = {
    gemmSetTiles(strided: number, adjacent: number) {
      tiles = { strided, adjacent };
      settings.push([strided, adjacent]);
    },
    gemmNN(...args: unknown[]) {
      product('NN', tiles.strided, args);
    },
    gemmTN(...args: unknown[]) {
      product('TN', tiles.adjacent, args);
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
  return { runtime, settings, products, blocks, sizes };
}

/** 40 warm-up calls taking the candidates in turn, then 10 samples of 30 calls of each. */
const measured = (...candidates: number[]) => [
  ...Array.from({ length: 40 }, (_, call) => candidates[call % candidates.length]),
  ...Array.from({ length: 10 }, () => candidates.flatMap((tile) => Array(30).fill(tile))).flat(),
];

describe('chooseGemmTiles', () => {
  it('measures 6×8 and 4×8 on a 48×392 by 392×64 product, then 6×8, 5×8 and 4×8 on a (96×196)ᵀ by 96×64 weight gradient, and frees its blocks', () => {
    const { runtime, settings, products, blocks, sizes } = standIn('six' as KernelBuild, { NN: { 4: 0.05, 6: 0.01 }, TN: { 4: 0.02, 5: 0.01, 6: 0.02 } });
    expect(chooseGemmTiles(runtime)).toEqual({ strided: 6, adjacent: 5 });
    const nn = products.filter((p) => p.layout === 'NN');
    const tn = products.filter((p) => p.layout === 'TN');
    expect(products.slice(0, nn.length)).toEqual(nn); // all of NN's before TN's
    expect(nn.map((p) => p.tile)).toEqual(measured(6, 4));
    expect(tn.map((p) => p.tile)).toEqual(measured(6, 5, 4));
    expect(sizes).toEqual([48 * 392 * 4, 392 * 64 * 4, 196 * 64 * 4]); // A, B, C in bytes
    const [c, a, b] = nn[0].args;
    expect(new Set([c, a, b]).size).toBe(3);
    for (const p of nn) expect(p.args).toEqual([c, a, b, 48, 64, 392, 0]);
    for (const p of tn) expect(p.args).toEqual([c, a, b, 196, 64, 96, 0]);
    expect(settings.at(-1)).toEqual([6, 5]);
    expect(blocks.size).toBe(0);
  });

  it('takes 4×8 when it is faster, or when a larger tile is faster by under 1%', () => {
    const slow = { 4: 0.01, 5: 0.05, 6: 0.05 };
    expect(chooseGemmTiles(standIn('four' as KernelBuild, { NN: slow, TN: slow }).runtime)).toEqual({ strided: 4, adjacent: 4 });
    const tie = { 4: 0.03, 5: 0.03, 6: 0.03 };
    expect(chooseGemmTiles(standIn('tie' as KernelBuild, { NN: tie, TN: tie }).runtime)).toEqual({ strided: 4, adjacent: 4 });
    const close = { 4: 0.05, 5: 0.0496, 6: 0.0496 };
    expect(chooseGemmTiles(standIn('close' as KernelBuild, { NN: close, TN: close }).runtime)).toEqual({ strided: 4, adjacent: 4 });
  });

  it('takes the faster of 6×8 and 5×8 for the weight gradient when it beats 4×8 by over 1%, whatever the forward took', () => {
    expect(chooseGemmTiles(standIn('five' as KernelBuild, { NN: { 4: 0.05, 6: 0.06 }, TN: { 4: 0.05, 5: 0.0493, 6: 0.0495 } }).runtime)).toEqual({ strided: 4, adjacent: 5 });
    expect(chooseGemmTiles(standIn('six-tn' as KernelBuild, { NN: { 4: 0.05, 6: 0.06 }, TN: { 4: 0.05, 5: 0.049, 6: 0.048 } }).runtime)).toEqual({ strided: 4, adjacent: 6 });
    // V8 12's plain-SIMD build: 6×8 as fast as 4×8 on the forward, far slower on the weight gradient.
    expect(chooseGemmTiles(standIn('simd-v8-12' as KernelBuild, { NN: { 4: 0.05, 6: 0.048 }, TN: { 4: 0.03, 5: 0.04, 6: 0.05 } }).runtime)).toEqual({ strided: 6, adjacent: 4 });
  });

  it('measures once per build: the next module of the build gets the same tiles, set without a product', () => {
    expect(chooseGemmTiles(standIn('once' as KernelBuild, { NN: { 4: 0.05, 6: 0.01 }, TN: { 4: 0.05, 5: 0.05, 6: 0.01 } }).runtime)).toEqual({ strided: 6, adjacent: 6 });
    const again = standIn('once' as KernelBuild, { NN: { 4: 0.01, 6: 0.05 }, TN: { 4: 0.01, 5: 0.01, 6: 0.05 } });
    expect(chooseGemmTiles(again.runtime)).toEqual({ strided: 6, adjacent: 6 });
    expect(again.settings).toEqual([[6, 6]]);
    expect(again.products).toHaveLength(0);
  });
});
