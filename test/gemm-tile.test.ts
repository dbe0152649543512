// chooseGemmTiles against a stand-in module whose products take a set time per register tile and
// packing: the faster tiles are chosen (a larger one only when clearly faster than 4×8, packing
// only when clearly faster than not), the measurement runs once per build, and it gives back the
// blocks it took. The real module's choice is in gemm.test.ts. Each case names a build of its own ('six', 'four', …), so that no earlier choice
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

/**
 * ms of the virtual clock per call: gemmNN by its (strided) tile, gemmTN by its (adjacent) tile,
 * gemmTNStrided by whether it packs (default: packing 10% slower).
 */
interface Costs {
  NN: Partial<Record<number, number>>;
  TN: Partial<Record<number, number>>;
  packed?: { yes: number; no: number };
}

/** A module and arena whose products take `costs` of the virtual clock per call, recording every call. */
function standIn(build: KernelBuild, costs: Costs) {
  let tiles = { strided: 6, adjacent: 6 };
  let pack = false;
  const settings: [number, number][] = [];
  const packings: boolean[] = [];
  const products: { layout: 'NN' | 'TN'; tile: number; args: number[] }[] = [];
  const strided: { tile: number; pack: boolean; args: number[] }[] = [];
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
    gemmSetPackAdjacent(to: boolean) {
      pack = to;
      packings.push(to);
    },
    gemmTNStrided(...args: unknown[]) {
      strided.push({ tile: tiles.adjacent, pack, args: args.map(Number) });
      const cost = costs.packed ?? { yes: 0.011, no: 0.01 };
      clock += pack ? cost.yes : cost.no;
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
  return { runtime, settings, packings, products, strided, blocks, sizes };
}

/** 40 warm-up calls taking the candidates in turn, then 10 samples of `calls` calls of each. */
const measured = <T>(candidates: T[], calls = 30) => [
  ...Array.from({ length: 40 }, (_, call) => candidates[call % candidates.length]),
  ...Array.from({ length: 10 }, () => candidates.flatMap((choice) => Array(calls).fill(choice))).flat(),
];

describe('chooseGemmTiles', () => {
  it('measures 6×8 and 4×8 on a 48×392 by 392×64 product, then 6×8, 5×8 and 4×8 on a (96×196)ᵀ by 96×64 weight gradient, and frees its blocks', () => {
    const { runtime, settings, packings, products, strided, blocks, sizes } = standIn('six' as KernelBuild, { NN: { 4: 0.05, 6: 0.01 }, TN: { 4: 0.02, 5: 0.01, 6: 0.02 } });
    expect(chooseGemmTiles(runtime)).toEqual({ strided: 6, adjacent: 5, packAdjacent: false });
    const nn = products.filter((p) => p.layout === 'NN');
    const tn = products.filter((p) => p.layout === 'TN');
    expect(products.slice(0, nn.length)).toEqual(nn); // all of NN's before TN's
    expect(nn.map((p) => p.tile)).toEqual(measured([6, 4]));
    expect(tn.map((p) => p.tile)).toEqual(measured([6, 5, 4]));
    expect(sizes).toEqual([100 * 784 * 4, 392 * 64 * 4, 196 * 64 * 4]); // A (the packing's, the largest), B, C in bytes
    const [c, a, b] = nn[0].args;
    expect(new Set([c, a, b]).size).toBe(3);
    for (const p of nn) expect(p.args).toEqual([c, a, b, 48, 64, 392, 0]);
    for (const p of tn) expect(p.args).toEqual([c, a, b, 196, 64, 96, 0]);
    // The tiles unpacked, then packing with the chosen tiles: 48 rows of a 784-input gradient at batch 100.
    expect(packings[0]).toBe(false); // the tiles are measured unpacked
    expect(strided.map((p) => p.pack)).toEqual(measured([true, false], 120));
    for (const p of strided) expect(p).toEqual({ tile: 5, pack: p.pack, args: [c, a, b, 48, 64, 100, 784, 0] });
    expect(settings.at(-1)).toEqual([6, 5]);
    expect(packings.at(-1)).toBe(false);
    expect(blocks.size).toBe(0);
  });

  it('packs the weight gradient only when that is more than 1% faster', () => {
    const tiles = { NN: { 4: 0.05, 6: 0.06 }, TN: { 4: 0.05, 5: 0.06, 6: 0.06 } };
    expect(chooseGemmTiles(standIn('packs' as KernelBuild, { ...tiles, packed: { yes: 0.0098, no: 0.01 } }).runtime).packAdjacent).toBe(true);
    expect(chooseGemmTiles(standIn('packs-by-little' as KernelBuild, { ...tiles, packed: { yes: 0.00995, no: 0.01 } }).runtime).packAdjacent).toBe(false);
    const packs = standIn('packs-set' as KernelBuild, { ...tiles, packed: { yes: 0.005, no: 0.01 } });
    chooseGemmTiles(packs.runtime);
    expect(packs.packings.at(-1)).toBe(true);
  });

  it('takes 4×8 when it is faster, or when a larger tile is faster by under 1%', () => {
    const slow = { 4: 0.01, 5: 0.05, 6: 0.05 };
    expect(chooseGemmTiles(standIn('four' as KernelBuild, { NN: slow, TN: slow }).runtime)).toEqual({ strided: 4, adjacent: 4, packAdjacent: false });
    const tie = { 4: 0.03, 5: 0.03, 6: 0.03 };
    expect(chooseGemmTiles(standIn('tie' as KernelBuild, { NN: tie, TN: tie }).runtime)).toEqual({ strided: 4, adjacent: 4, packAdjacent: false });
    const close = { 4: 0.05, 5: 0.0496, 6: 0.0496 };
    expect(chooseGemmTiles(standIn('close' as KernelBuild, { NN: close, TN: close }).runtime)).toEqual({ strided: 4, adjacent: 4, packAdjacent: false });
  });

  it('takes the faster of 6×8 and 5×8 for the weight gradient when it beats 4×8 by over 1%, whatever the forward took', () => {
    expect(chooseGemmTiles(standIn('five' as KernelBuild, { NN: { 4: 0.05, 6: 0.06 }, TN: { 4: 0.05, 5: 0.0493, 6: 0.0495 } }).runtime)).toEqual({ strided: 4, adjacent: 5, packAdjacent: false });
    expect(chooseGemmTiles(standIn('six-tn' as KernelBuild, { NN: { 4: 0.05, 6: 0.06 }, TN: { 4: 0.05, 5: 0.049, 6: 0.048 } }).runtime)).toEqual({ strided: 4, adjacent: 6, packAdjacent: false });
    // V8 12's plain-SIMD build: 6×8 as fast as 4×8 on the forward, far slower on the weight gradient.
    expect(chooseGemmTiles(standIn('simd-v8-12' as KernelBuild, { NN: { 4: 0.05, 6: 0.048 }, TN: { 4: 0.03, 5: 0.04, 6: 0.05 } }).runtime)).toEqual({ strided: 6, adjacent: 4, packAdjacent: false });
  });

  it('measures once per build: the next module of the build gets the same tiles, set without a product', () => {
    expect(chooseGemmTiles(standIn('once' as KernelBuild, { NN: { 4: 0.05, 6: 0.01 }, TN: { 4: 0.05, 5: 0.05, 6: 0.01 } }).runtime)).toEqual({ strided: 6, adjacent: 6, packAdjacent: false });
    const again = standIn('once' as KernelBuild, { NN: { 4: 0.01, 6: 0.05 }, TN: { 4: 0.01, 5: 0.01, 6: 0.05 } });
    expect(chooseGemmTiles(again.runtime)).toEqual({ strided: 6, adjacent: 6, packAdjacent: false });
    expect(again.settings).toEqual([[6, 6]]);
    expect(again.packings).toEqual([false]);
    expect(again.products).toHaveLength(0);
    expect(again.strided).toHaveLength(0);
  });
});
