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
});
