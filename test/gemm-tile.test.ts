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
 * ms of the virtual clock per call: gemmTN by its (adjacent) tile; gemmNN by its strided tile,
 * or 'packed' when it packs; gemmTNStrided by whether it packs (default: packing 10% slower).
 */
interface Costs {
  NN: Partial<Record<number | 'packed', number>>;
  TN: Partial<Record<number, number>>;
  packedTN?: { yes: number; no: number };
}

type Product = { name: 'NN' | 'TN' | 'TNStrided'; choice: number | 'packed' | boolean; tiles: [number, number]; packing: [boolean, boolean]; args: number[] };

/** A module and arena whose products take `costs` of the virtual clock per call, recording every call. */
function standIn(build: KernelBuild, costs: Costs) {
  let tiles: [number, number] = [6, 6];
  let packing: [boolean, boolean] = [false, false];
  const settings: [number, number][] = [];
  const packings: [boolean, boolean][] = [];
  const products: Product[] = [];
  const blocks = new Map<number, number>();
  const sizes: number[] = [];
  let next = 1024;
  const product = (name: Product['name'], choice: Product['choice'], cost: number | undefined, args: unknown[]) => {
    products.push({ name, choice, tiles, packing, args: args.map(Number) });
    if (cost === undefined) throw new Error(`no cost set for ${name} with ${String(choice)}`);
    clock += cost;
  };
  const exports = {
    gemmSetTiles(strided: number, adjacent: number) {
      tiles = [strided, adjacent];
      settings.push(tiles);
    },
    gemmSetPacking(strided: boolean, adjacent: boolean) {
      packing = [strided, adjacent];
      packings.push(packing);
    },
    gemmNN(...args: unknown[]) {
      const choice = packing[0] ? 'packed' : tiles[0];
      product('NN', choice, costs.NN[choice], args);
    },
    gemmTN(...args: unknown[]) {
      product('TN', tiles[1], costs.TN[tiles[1]], args);
    },
    gemmTNStrided(...args: unknown[]) {
      const cost = costs.packedTN ?? { yes: 0.011, no: 0.01 };
      product('TNStrided', packing[1], packing[1] ? cost.yes : cost.no, args);
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
  const of = (name: Product['name']) => products.filter((p) => p.name === name);
  return { runtime, settings, packings, products, of, blocks, sizes };
}

/** 40 warm-up calls taking the candidates in turn, then 10 samples of `calls` calls of each. */
const measured = <T>(candidates: T[], calls = 30) => [
  ...Array.from({ length: 40 }, (_, call) => candidates[call % candidates.length]),
  ...Array.from({ length: 10 }, () => candidates.flatMap((choice) => Array(calls).fill(choice))).flat(),
];

const choices = (strided: number, adjacent: number, packStrided = false, packAdjacent = false) => ({ strided, adjacent, packStrided, packAdjacent });

describe('chooseGemmTiles', () => {
  it('measures the weight gradient\'s tiles, then the forward\'s, then the weight gradient\'s packing, and frees its blocks', () => {
    const { runtime, settings, packings, products, of, blocks, sizes } = standIn('six' as KernelBuild, { NN: { 4: 0.05, 6: 0.01, packed: 0.02 }, TN: { 4: 0.02, 5: 0.01, 6: 0.02 } });
    expect(chooseGemmTiles(runtime)).toEqual(choices(6, 5));
    const [tn, nn, strided] = [of('TN'), of('NN'), of('TNStrided')];
    expect(products).toEqual([...tn, ...nn, ...strided]);
    // The weight gradient's tiles unpacked, on a (96×196)ᵀ by 96×64 product.
    expect(tn.map((p) => p.choice)).toEqual(measured([6, 5, 4]));
    for (const p of tn) expect(p.packing).toEqual([false, false]);
    // The forward's 6×8 and 4×8 on a 48×392 by 392×64 product, unpacked; 6×8 won, so packing is not tried.
    expect(nn.map((p) => p.choice)).toEqual(measured([6, 4]));
    for (const p of nn) expect(p.packing).toEqual([false, false]);
    // The weight gradient's packing with the chosen tiles: 48 rows of a 784-input gradient at batch 100.
    expect(strided.map((p) => p.choice)).toEqual(measured([true, false], 120));
    for (const p of strided) expect([p.tiles, p.packing[0]]).toEqual([[6, 5], false]);
    expect(sizes).toEqual([100 * 784 * 4, 392 * 64 * 4, 196 * 64 * 4]); // A (the packing's, the largest), B, C in bytes
    const [c, a, b] = nn[0].args;
    expect(new Set([c, a, b]).size).toBe(3);
    for (const p of tn) expect(p.args).toEqual([c, a, b, 196, 64, 96, 0]);
    for (const p of nn) expect(p.args).toEqual([c, a, b, 48, 64, 392, 0]);
    for (const p of strided) expect(p.args).toEqual([c, a, b, 48, 64, 100, 784, 0]);
    expect(settings.at(-1)).toEqual([6, 5]);
    expect(packings.at(-1)).toEqual([false, false]);
    expect(blocks.size).toBe(0);
  });

  it('where 4×8 beat 6×8, packs the forward when that beats 4×8 by over 1%, with the weight gradient\'s tile', () => {
    const TN = { 4: 0.05, 5: 0.04, 6: 0.06 };
    const packs = standIn('packs-nn' as KernelBuild, { NN: { 4: 0.05, 6: 0.06, packed: 0.0494 }, TN });
    expect(chooseGemmTiles(packs.runtime)).toEqual(choices(4, 5, true));
    const nn = packs.of('NN');
    expect(nn.map((p) => p.choice)).toEqual([...measured([6, 4]), ...measured(['packed', 4])]);
    for (const p of nn) expect(p.packing).toEqual([p.choice === 'packed', false]);
    expect(new Set(nn.filter((p) => p.choice === 'packed').map((p) => p.tiles[1]))).toEqual(new Set([5]));
    expect(packs.settings.at(-1)).toEqual([4, 5]);
    expect(packs.packings.at(-1)).toEqual([true, false]);
    expect(packs.of('TNStrided').every((p) => p.packing[0])).toBe(true); // measured as it will run
    expect(chooseGemmTiles(standIn('packs-nn-by-little' as KernelBuild, { NN: { 4: 0.05, 6: 0.06, packed: 0.04955 }, TN }).runtime)).toEqual(choices(4, 5));
    // Where 6×8 won, packing is not tried, even if the start-up product would run it faster.
    const six = standIn('six-not-packed' as KernelBuild, { NN: { 4: 0.05, 6: 0.03, packed: 0.02 }, TN });
    expect(chooseGemmTiles(six.runtime)).toEqual(choices(6, 5));
    expect(six.of('NN').some((p) => p.choice === 'packed')).toBe(false);
  });

  it('packs the weight gradient only when that is more than 1% faster', () => {
    const tiles = { NN: { 4: 0.05, 6: 0.06, packed: 0.06 }, TN: { 4: 0.05, 5: 0.06, 6: 0.06 } };
    expect(chooseGemmTiles(standIn('packs' as KernelBuild, { ...tiles, packedTN: { yes: 0.0098, no: 0.01 } }).runtime)).toEqual(choices(4, 4, false, true));
    expect(chooseGemmTiles(standIn('packs-by-little' as KernelBuild, { ...tiles, packedTN: { yes: 0.00995, no: 0.01 } }).runtime)).toEqual(choices(4, 4));
    const packs = standIn('packs-set' as KernelBuild, { ...tiles, packedTN: { yes: 0.005, no: 0.01 } });
    chooseGemmTiles(packs.runtime);
    expect(packs.packings.at(-1)).toEqual([false, true]);
  });

  it('takes 4×8 when it is faster, or when a larger tile or packing is faster by under 1%', () => {
    const slow = { 4: 0.01, 5: 0.05, 6: 0.05, packed: 0.05 };
    expect(chooseGemmTiles(standIn('four' as KernelBuild, { NN: slow, TN: slow }).runtime)).toEqual(choices(4, 4));
    const tie = { 4: 0.03, 5: 0.03, 6: 0.03, packed: 0.03 };
    expect(chooseGemmTiles(standIn('tie' as KernelBuild, { NN: tie, TN: tie }).runtime)).toEqual(choices(4, 4));
    const close = { 4: 0.05, 5: 0.0496, 6: 0.0496, packed: 0.0496 };
    expect(chooseGemmTiles(standIn('close' as KernelBuild, { NN: close, TN: close }).runtime)).toEqual(choices(4, 4));
  });

  it('takes the faster of 6×8 and 5×8 for the weight gradient when it beats 4×8 by over 1%, whatever the forward took', () => {
    const NN = { 4: 0.05, 6: 0.06, packed: 0.06 };
    expect(chooseGemmTiles(standIn('five' as KernelBuild, { NN, TN: { 4: 0.05, 5: 0.0493, 6: 0.0495 } }).runtime)).toEqual(choices(4, 5));
    expect(chooseGemmTiles(standIn('six-tn' as KernelBuild, { NN, TN: { 4: 0.05, 5: 0.049, 6: 0.048 } }).runtime)).toEqual(choices(4, 6));
    // V8 12's plain-SIMD build: 6×8 as fast as 4×8 on the forward, far slower on the weight gradient.
    expect(chooseGemmTiles(standIn('simd-v8-12' as KernelBuild, { NN: { 4: 0.05, 6: 0.048, packed: 0.06 }, TN: { 4: 0.03, 5: 0.04, 6: 0.05 } }).runtime)).toEqual(choices(6, 4));
  });

  it('measures once per build: the next module of the build gets the same choices, set without a product', () => {
    expect(chooseGemmTiles(standIn('once' as KernelBuild, { NN: { 4: 0.05, 6: 0.01, packed: 0.05 }, TN: { 4: 0.05, 5: 0.05, 6: 0.01 }, packedTN: { yes: 0.001, no: 0.01 } }).runtime)).toEqual(choices(6, 6, false, true));
    const again = standIn('once' as KernelBuild, { NN: { 4: 0.01, 6: 0.05, packed: 0.05 }, TN: { 4: 0.01, 5: 0.01, 6: 0.05 } });
    expect(chooseGemmTiles(again.runtime)).toEqual(choices(6, 6, false, true));
    expect(again.settings).toEqual([[6, 6]]);
    expect(again.packings).toEqual([[false, true]]);
    expect(again.products).toHaveLength(0);
  });
});
