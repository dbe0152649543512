import { describe, expect, it } from 'vitest';
import { preprocessDigit } from '../src/digit.js';

function drawing(width: number, height: number, paint: (x: number, y: number) => boolean): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (paint(x, y)) ink[y * width + x] = 1;
  return ink;
}

describe('preprocessDigit', () => {
  it('scales the ink to a 20-pixel box and centres its mass in 28×28', () => {
    // A vertical bar in the top-left corner of a 280×280 canvas.
    const out = preprocessDigit(drawing(280, 280, (x, y) => x >= 10 && x < 30 && y >= 5 && y < 105), 280, 280)!;
    expect(out).toHaveLength(784);
    let mass = 0, cx = 0, cy = 0, rows = new Set<number>();
    out.forEach((v, i) => {
      mass += v; cx += v * (i % 28); cy += v * Math.floor(i / 28);
      if (v > 0) rows.add(Math.floor(i / 28));
    });
    expect(rows.size).toBe(20); // 100 px tall → 20 px
    expect(Math.abs(cx / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });

  it('returns undefined for a blank canvas and rejects a wrong size', () => {
    expect(preprocessDigit(new Float32Array(100), 10, 10)).toBeUndefined();
    expect(() => preprocessDigit(new Float32Array(99), 10, 10)).toThrow(/99 values for 10×10/);
  });

  /** The pixels of a 28×28 image that are not 0, as "row,column" → value. */
  const inked = (image: Float32Array) => Object.fromEntries([...image.entries()].filter(([, v]) => v !== 0).map(([i, v]) => [`${Math.floor(i / 28)},${i % 28}`, v]));
  /** `value` over the rows y0..y1 and columns x0..x1 (inclusive) of a 28×28 image. */
  const block = (y0: number, y1: number, x0: number, x1: number, value = 1) => {
    const out: Record<string, number> = {};
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out[`${y},${x}`] = value;
    return out;
  };

  it('a bar 40 wide and 10 tall becomes 20 by 5, each pixel the mean of 2×2, its centre of mass at 13.5', () => {
    const out = preprocessDigit(drawing(40, 10, () => true), 40, 10)!;
    // Centre of mass (9.5, 2) in the 20×5 box: offsets round(13.5 − 9.5) = 4 and round(13.5 − 2) = 12.
    expect(inked(out)).toEqual(block(12, 16, 4, 23));
  });

  it('averages the ink it scales down, faint ink inside the box included', () => {
    // 40×40 box (corners inked) scaled by a half: each target pixel the mean of its 2×2 pixels.
    const ink = drawing(40, 40, (x, y) => (x === 0 || x === 39) && (y === 0 || y === 39));
    ink[1] = 0.04; // too faint to move the box, but averaged into the target pixel it falls in
    const out = preprocessDigit(ink, 40, 40)!;
    const corner = Math.fround((1 + 0.04) / 4);
    // The four corners weigh the same: the mass is centred, offsets round(13.5 − 9.5) = 4.
    expect(inked(out)).toEqual({ '4,4': corner, '4,23': 0.25, '23,4': 0.25, '23,23': 0.25 });
  });

  it('one dot on a tiny canvas is one pixel of its value, where the centring puts it', () => {
    const ink = new Float32Array(4);
    ink[1] = 0.8; // (1, 0)
    // A 1×1 box scaled to 20×20: its one source pixel lands at (10, 10), the centring offsets are round(3.5) = 4.
    expect(inked(preprocessDigit(ink, 2, 2)!)).toEqual({ '14,14': Math.fround(0.8) });
  });

  it('ink of 0.05 or less is no ink; values above 1 are 1', () => {
    expect(preprocessDigit(new Float32Array(4).fill(0.04), 2, 2)).toBeUndefined();
    const ink = new Float32Array(4);
    ink[0] = 3;
    expect(inked(preprocessDigit(ink, 2, 2)!)).toEqual({ '14,14': 1 });
  });

  it('a line one pixel thin keeps one row, 20 long', () => {
    expect(inked(preprocessDigit(new Float32Array(100).fill(1), 100, 1)!)).toEqual(block(14, 14, 4, 23));
    expect(inked(preprocessDigit(new Float32Array(100).fill(1), 1, 100)!)).toEqual(block(4, 23, 14, 14));
  });

  it('the offset stays within the image when the mass sits at one edge', () => {
    // A 20×20 box: a full column at one side and one pixel at the other corner.
    const left = preprocessDigit(drawing(20, 20, (x, y) => x === 0 || (x === 19 && y === 0)), 20, 20)!;
    expect(inked(left)).toEqual({ ...block(4, 23, 8, 8), '4,27': 1 }); // offset round(12.6) clamped to 8
    const right = preprocessDigit(drawing(20, 20, (x, y) => x === 19 || (x === 0 && y === 19)), 20, 20)!;
    expect(inked(right)).toEqual({ ...block(4, 23, 19, 19), '23,0': 1 }); // offset round(−4.6) clamped to 0
  });
});
