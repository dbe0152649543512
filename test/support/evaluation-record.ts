// Evaluation records as train() gives them, for the tests of what prints and draws them.
import type { EvaluationRecord } from '../../src/train.js';

export const evaluation = (accuracy: number, loss: number) => ({ accuracy, loss, count: 100 });

/** A record of train and test evaluations at `accuracy` (test 0.01 lower), and `extra`. */
export const record = (epoch: number, iterations: number, accuracy: number, extra: Partial<EvaluationRecord> = {}): EvaluationRecord => ({
  epoch, iterations, train: evaluation(accuracy, 1 - accuracy), test: evaluation(accuracy - 0.01, 1.1 - accuracy), elapsed: epoch * 0.8, ...extra,
});
