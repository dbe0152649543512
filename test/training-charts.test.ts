// The charts of a training run (training-charts.ts), as the CLI writes them to accuracy.svg and
// loss.svg: the final evaluation always on the accuracy chart, an axis zoomed on late training,
// validation and test together, and the smoothed loss per step with the evaluations over it.
import { describe, expect, it } from 'vitest';
import { accuracyChart, accuracyFloor, evaluationPoints, lossChart, smoothLoss } from '../src/training-charts.js';
import { evaluation, record } from './support/evaluation-record.js';

describe('training charts', () => {
  it('a run whose last evaluation precedes the end plots its final evaluation', () => {
    // 600 steps, evaluated after step 1 only: the final evaluation at step 600 must be a point.
    const run = { evaluations: [record(0, 1, 0.1)], final: record(0, 600, 0.82), stepsPerEpoch: 600 };
    expect(evaluationPoints(run).map((p) => p.iterations)).toEqual([1, 600]);
    const svg = accuracyChart(run);
    expect(svg.match(/<circle /g)).toHaveLength(2 + 1); // two train points and the legend's
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="7"/g)).toHaveLength(2 + 1); // test: squares
    // The same final record is not drawn twice when the last evaluation is the final one.
    expect(evaluationPoints({ ...run, final: run.evaluations[0] })).toHaveLength(1);
  });

  it('zooms the accuracy axis on the second half of the run', () => {
    const values = [0.1, 0.85, 0.9, 0.92, 0.93, 0.94, 0.945];
    expect(accuracyFloor([{ label: 'train acc', values }])).toBeCloseTo(0.9, 10);
    expect(accuracyFloor([{ label: 'two points', values: [0.1, 0.82] }])).toBeCloseTo(0.05, 10);
    expect(accuracyFloor([{ label: 'none', values: [] }])).toBe(0);
    const run = { evaluations: values.map((v, i) => record(i, i * 600 + 1, v)), stepsPerEpoch: 600 };
    const svg = accuracyChart(run);
    expect(svg).toContain('>0.90<');
    expect(svg).not.toContain('>0.50<');
    expect(svg).toMatch(/clip-path="url\(#plot-640x420\)"/);
  });

  it('draws validation and test together, and the loss per step smoothed with the evaluations on it', () => {
    const run = {
      evaluations: [record(0, 10, 0.5, { validation: evaluation(0.48, 0.6) }), record(1, 20, 0.8, { validation: evaluation(0.77, 0.3) })],
      stepsPerEpoch: 10,
    };
    const svg = accuracyChart(run);
    for (const label of ['train acc', 'validation acc', 'test acc']) expect(svg).toContain(`>${label}<`);
    const loss = Float64Array.from({ length: 20 }, (_, i) => 2 / (i + 1));
    const lossSvg = lossChart(run, loss);
    for (const label of ['step loss (smoothed)', 'train loss', 'validation loss', 'test loss']) expect(lossSvg).toContain(`>${label}<`);
    expect(lossSvg).not.toMatch(/NaN/);
  });

  it('smoothLoss is a bias-corrected moving average', () => {
    expect(Array.from(smoothLoss([2, 2, 2]))).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
    const s = smoothLoss([1, 0], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(0.25 / 0.75, 12); // (0.5·0.5·1 + 0.5·0) / (1 − 0.25)
  });
});
