// compareGradients on gradients small enough to work out by hand: both metrics, the floor, where
// the worst entry is, and a gradient that is missing, of another length, or not a number.
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors.js';
import { compareGradients } from '../src/gradient-check.js';
import { expectRefusal } from './support/refusal.js';

const f32 = (...values: number[]) => Float32Array.from(values);

describe('compareGradients', () => {
  it('the worst per-entry relative error, where it is, and the global error over every tensor', () => {
    const analytic = { W: f32(1, -2, 0.5), b: f32(4) };
    const numerical = { W: f32(1, -2.5, 0.5), b: f32(3) };
    const result = compareGradients(analytic, numerical);
    // Per entry |a − n| / max(|a|, |n|): W[1] 0.5 / 2.5 = 0.2, b[0] 1 / 4 = 0.25.
    expect(result.maxRelativeError).toBeCloseTo(0.25, 7);
    expect(result.worst).toEqual({ name: 'b', index: 0, analytic: 4, numerical: 3 });
    // ‖a − n‖ = √(0.25 + 1), ‖a‖ = √(1 + 4 + 0.25 + 16), ‖n‖ = √(1 + 6.25 + 0.25 + 9).
    expect(result.globalRelativeError).toBeCloseTo(Math.sqrt(1.25) / (Math.sqrt(21.25) + Math.sqrt(16.5)), 7);
  });

  it('the first of equal worst entries is the one named', () => {
    const result = compareGradients({ W: f32(2, 2, 1) }, { W: f32(1, 1, 1) });
    expect(result.worst).toEqual({ name: 'W', index: 0, analytic: 2, numerical: 1 });
    expect(result.maxRelativeError).toBe(0.5);
  });

  it('entries that are both near 0 are divided by the floor, 1e-4 unless given', () => {
    const analytic = { W: f32(1e-6, 1) };
    const numerical = { W: f32(0, 1) };
    expect(compareGradients(analytic, numerical).maxRelativeError).toBeCloseTo(1e-6 / 1e-4, 6);
    expect(compareGradients(analytic, numerical, 1e-3).maxRelativeError).toBeCloseTo(1e-6 / 1e-3, 6);
    expect(compareGradients(analytic, numerical, 0).maxRelativeError).toBe(1);
  });

  it('equal gradients: no error; all zero: no error either, not 0/0', () => {
    expect(compareGradients({ W: f32(1, -3) }, { W: f32(1, -3) })).toEqual({
      maxRelativeError: 0, worst: { name: '', index: -1, analytic: 0, numerical: 0 }, globalRelativeError: 0,
    });
    const zero = compareGradients({ W: f32(0, 0) }, { W: f32(0, 0) });
    expect([zero.maxRelativeError, zero.globalRelativeError]).toEqual([0, 0]);
  });

  it('a NaN entry is the worst, wherever it is, and makes both errors NaN', () => {
    for (const at of [0, 1, 2]) {
      const analytic = f32(0.5, 0.25, 2);
      analytic[at] = Number.NaN;
      const result = compareGradients({ W: analytic }, { W: f32(0.4, 0.3, 1) });
      expect(result.maxRelativeError, `NaN at ${at}`).toBeNaN();
      expect(result.worst.index, `NaN at ${at}`).toBe(at);
      expect(result.globalRelativeError).toBeNaN();
    }
  });

  it('refuses a numerical gradient that lacks a tensor or has it at another length', () => {
    expectRefusal(() => compareGradients({ W: f32(1), b: f32(1) }, { W: f32(1) }), ShapeError, "gradient 'b' is missing or has another length");
    expectRefusal(() => compareGradients({ W: f32(1, 2) }, { W: f32(1) }), ShapeError, "gradient 'W' is missing or has another length");
  });
});
