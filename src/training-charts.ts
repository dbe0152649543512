// The charts of a training run, drawn the same way by the CLI (accuracy.svg, loss.svg) and by
// the demo page: accuracy per epoch with the final evaluation always on it, and the loss of
// every step (smoothed) with the loss of each evaluation over it.
import { accuracyChartSvg, lineChartSvg, type ChartOptions, type Series } from './chart.js';
import type { EvaluationRecord } from './train.js';

const SETS = ['train', 'validation', 'test'] as const;

export interface RunCharts {
  evaluations: readonly EvaluationRecord[];
  /** The evaluation of the final parameters; drawn when the last evaluation came before it. */
  final?: EvaluationRecord;
  /** Training steps per pass over the training set: the x axis of the accuracy chart is epochs. */
  stepsPerEpoch: number;
}

type Size = Pick<ChartOptions, 'title' | 'width' | 'height'>;

/** The evaluations, then the final one if it is not the last of them already. */
export function evaluationPoints({ evaluations, final }: RunCharts): EvaluationRecord[] {
  const last = evaluations[evaluations.length - 1];
  return final && final.iterations !== last?.iterations ? [...evaluations, final] : [...evaluations];
}

export function accuracyChart(run: RunCharts, options: Size = {}): string {
  const points = evaluationPoints(run);
  const x = points.map((p) => p.iterations / run.stepsPerEpoch);
  const series: Series[] = SETS.filter((set) => points.some((p) => p[set])).map((set, index) => ({
    label: `${set} acc`, x, values: points.map((p) => p[set]?.accuracy ?? NaN), dashed: index > 0,
  }));
  return accuracyChartSvg(series, { xLabel: 'epochs', yLabel: 'accuracy', ...options, yMin: accuracyFloor(series) });
}

/**
 * The bottom of an accuracy axis that shows late-training differences: a multiple of 0.05 below
 * the lowest accuracy of the second half of the run (of every point if that half holds fewer
 * than three evaluations). Earlier, lower points leave the plot at the bottom. 94.0% against 94.6% is a
 * visible gap on a 0.90–1 axis and two pixels on a 0–1 one.
 */
export function accuracyFloor(series: readonly Series[]): number {
  const all: [number, number][] = [];
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i])) all.push([s.x ? s.x[i] : i, s.values[i]]);
  }
  if (!all.length) return 0;
  const xMax = Math.max(...all.map(([x]) => x));
  const late = all.filter(([x]) => x >= xMax / 2);
  const lateEvaluations = new Set(late.map(([x]) => x)).size;
  const low = Math.min(...(lateEvaluations >= 3 ? late : all).map(([, v]) => v));
  return Math.max(0, Math.floor((low - 0.01) / 0.05) * 0.05);
}

/**
 * Exponential moving average of the step losses, bias-corrected as Adam's moments so the first
 * steps are not pulled toward 0. beta 0.98 averages over about the last 50 steps.
 */
export function smoothLoss(loss: ArrayLike<number>, beta = 0.98): Float64Array {
  const out = new Float64Array(loss.length);
  let average = 0;
  for (let i = 0; i < loss.length; i++) {
    average = beta * average + (1 - beta) * loss[i];
    out[i] = average / (1 - beta ** (i + 1));
  }
  return out;
}

/** `loss[i]` is the loss of step `firstStep + i + 1` (the CLI's history.loss, firstStep 0). */
export function lossChart(run: RunCharts, loss: ArrayLike<number>, options: Size & { firstStep?: number } = {}): string {
  const points = evaluationPoints(run);
  const firstStep = options.firstStep ?? 0;
  const series: Series[] = [{
    label: 'step loss (smoothed)', values: smoothLoss(loss), x: Array.from({ length: loss.length }, (_, i) => firstStep + i + 1),
  }];
  for (const set of SETS.filter((name) => points.some((p) => p[name]))) {
    series.push({
      label: `${set} loss`, x: points.map((p) => p.iterations), values: points.map((p) => p[set]?.loss ?? NaN),
      markers: true, dashed: set !== 'train',
    });
  }
  return lineChartSvg(series, { xLabel: 'iterations', yLabel: 'cross-entropy loss', ...options, yMin: 0 });
}
