// The charts of a training run (training-charts.ts), as the CLI writes them to accuracy.svg and
// loss.svg: the final evaluation always on the accuracy chart, an axis zoomed on late training,
// validation and test together, and the smoothed loss per step with the evaluations over it.
import { describe, expect, it } from 'vitest';
import { accuracyChart, accuracyFloor, evaluationPoints, lossChart, smoothLoss } from '../src/training-charts.js';
import { evaluation, record } from './support/evaluation-record.js';
import { parseSvg } from './support/svg.js';

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

describe('what the charts draw', () => {
  const texts = (svg: string) => parseSvg(svg).filter((e) => e.name === 'text').map((e) => e.text);
  const paths = (svg: string) => parseSvg(svg).filter((e) => e.name === 'path');

  it('the accuracy chart: epochs on x, train solid, validation and test dashed, the options\' title and size', () => {
    const run = {
      evaluations: [record(0, 10, 0.5, { validation: evaluation(0.48, 0.6) }), record(1, 20, 0.8, { validation: evaluation(0.77, 0.3) })],
      stepsPerEpoch: 10,
    };
    const svg = accuracyChart(run, { title: 'T', width: 300, height: 200 });
    expect(svg).toMatch(/^<svg [^>]*width="300" height="200"/);
    expect(texts(svg)).toEqual(expect.arrayContaining(['T', 'epochs', 'accuracy', 'train acc', 'validation acc', 'test acc']));
    const drawn = paths(svg);
    expect(drawn.map((p) => p.attrs['stroke-dasharray'])).toEqual([undefined, '6 4', '6 4']);
    // x is iterations / stepsPerEpoch: 1 and 2 epochs, the right end of the axis at 2.
    expect(parseSvg(svg).filter((e) => e.attrs.y === '167').map((e) => e.text)).toEqual(['0', '1', '2']);
    expect(drawn[0].attrs.d).toMatch(/^M\d+\.\d,[\d.]+L280\.0,[\d.]+$/);
    expect(drawn[0].attrs.d.startsWith(`M${(64 + 216 / 2).toFixed(1)},`)).toBe(true);
  });

  it('the accuracy axis starts at accuracyFloor of its series', () => {
    const values = [0.1, 0.85, 0.9, 0.92, 0.93, 0.94, 0.945];
    const svg = accuracyChart({ evaluations: values.map((v, i) => record(i, i + 1, v)), stepsPerEpoch: 1 });
    const yLabels = parseSvg(svg).filter((e) => e.attrs['text-anchor'] === 'end').map((e) => e.text);
    const x = values.map((_, i) => i + 1);
    const floor = accuracyFloor([{ label: 'train', values, x }, { label: 'test', values: values.map((v) => v - 0.01), x }]);
    expect(floor).toBeGreaterThan(0.5);
    expect(yLabels[0]).toBe(floor.toFixed(2));
  });

  it('the loss chart: step k of a resumed run at x = firstStep + k, the evaluations marked, all but train dashed, from 0', () => {
    const run = { evaluations: [record(0, 12, 0.5), record(1, 14, 0.8)], stepsPerEpoch: 2 };
    const svg = lossChart(run, [1, 1, 1, 1], { firstStep: 10, title: 'L' });
    expect(texts(svg)).toEqual(expect.arrayContaining(['L', 'iterations', 'cross-entropy loss', 'step loss (smoothed)', 'train loss', 'test loss']));
    const [steps, train, test] = paths(svg);
    // Steps 11..14 on an axis that ends at 14; evaluations at 12 and 14.
    const x = (i: number) => (64 + (i / 14) * 556).toFixed(1);
    expect([...steps.attrs.d.matchAll(/[ML]([\d.]+),/g)].map((m) => m[1])).toEqual([11, 12, 13, 14].map(x));
    expect([...train.attrs.d.matchAll(/[ML]([\d.]+),/g)].map((m) => m[1])).toEqual([12, 14].map(x));
    expect([steps, train, test].map((p) => p.attrs['stroke-dasharray'])).toEqual([undefined, undefined, '6 4']);
    expect([steps, train].map((p) => p.attrs['stroke-width'])).toEqual(['1.2', '2']);
    const yLabels = parseSvg(svg).filter((e) => e.attrs['text-anchor'] === 'end').map((e) => e.text);
    expect(yLabels[0]).toBe('0.0');
    // Without firstStep the steps start at 1.
    const fresh = paths(lossChart(run, [1, 1], {}))[0].attrs.d;
    expect(fresh.startsWith(`M${(64 + (1 / 14) * 556).toFixed(1)},`)).toBe(true);
  });
});

describe('sets that only some evaluations have', () => {
  // A validation set evaluated only at the end (as a run given one part-way would be).
  const run = { evaluations: [record(0, 10, 0.5), record(1, 20, 0.8, { validation: evaluation(0.77, 0.3) })], stepsPerEpoch: 10 };
  const labels = (svg: string) => parseSvg(svg).filter((e) => e.name === 'text' && /^[a-z]+ (acc|loss)$/.test(e.text)).map((e) => e.text);

  it('are drawn where they were evaluated', () => {
    expect(labels(accuracyChart(run))).toEqual(['train acc', 'validation acc', 'test acc']);
    expect(labels(lossChart(run, [1, 1]))).toEqual(['train loss', 'validation loss', 'test loss']);
  });

  it('and a set no evaluation has is not drawn at all', () => {
    const trainOnly = { evaluations: [{ epoch: 0, iterations: 10, train: evaluation(0.5, 1), elapsed: 1 }], stepsPerEpoch: 10 };
    expect(labels(accuracyChart(trainOnly))).toEqual(['train acc']);
    expect(labels(lossChart(trainOnly, [1, 1]))).toEqual(['train loss']);
  });

  it('a final evaluation with no evaluation before it is the one point', () => {
    const final = record(0, 600, 0.8);
    expect(evaluationPoints({ evaluations: [], final, stepsPerEpoch: 600 })).toEqual([final]);
  });
});

describe('accuracyFloor', () => {
  const floor = (x: number[], values: number[]) => accuracyFloor([{ label: 'a', values, x }]);

  it('the second half starts at half the last x, itself included', () => {
    // Late points at x = 2, 3, 4: the lowest 0.62, less 0.01, floored to a multiple of 0.05.
    expect(floor([0, 1, 2, 3, 4], [0.1, 0.2, 0.62, 0.9, 0.95])).toBeCloseTo(0.6, 12);
  });

  it('fewer than three late evaluations: every point counts', () => {
    expect(floor([0, 1, 2, 3], [0.1, 0.2, 0.62, 0.9])).toBeCloseTo(0.05, 12);
    // Two series at the same two late x are still two evaluations.
    const both = accuracyFloor([{ label: 'a', values: [0.3, 0.5, 0.8, 0.9], x: [0, 1, 2, 3] }, { label: 'b', values: [0.3, 0.5, 0.7, 0.9], x: [0, 1, 2, 3] }]);
    expect(both).toBeCloseTo(0.25, 12);
  });

  it('the indices are the x of a series without one; non-finite values are left out', () => {
    expect(accuracyFloor([{ label: 'a', values: [NaN, 0.2, 0.62, 0.9, 0.95] }])).toBeCloseTo(0.6, 12);
    expect(accuracyFloor([{ label: 'a', values: [0.1, 0.2, 0.62, NaN, 0.95] }])).toBeCloseTo(0.05, 12);
  });

  it('never below 0', () => {
    expect(floor([0, 1], [0.005, 0.004])).toBe(0);
  });
});
