// A seeded split of a table's rows into training, validation and test sets.
import { ValueError } from '../errors.js';
import { Random } from '../random.js';

export interface SplitOptions {
  /** Fraction of the rows held out for validation (default 0.1). */
  validation?: number;
  /** Fraction of the rows held out for testing (default 0.2). */
  test?: number;
  /** The same seed and row count give the same split on every run and JS engine (default 0). */
  seed?: number;
}

export interface RowSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Shuffles 0..count-1 with Random(seed), then takes round(count × test) rows for testing, the
 * next round(count × validation) for validation and the rest for training; each set is returned
 * in ascending order (file order), the training loop doing its own shuffling.
 */
export function splitRows(count: number, options: SplitOptions = {}): RowSplit {
  const validation = options.validation ?? 0.1;
  const test = options.test ?? 0.2;
  const seed = options.seed ?? 0;
  for (const [name, fraction] of [['validation', validation], ['test', test]] as const) {
    if (!(fraction >= 0 && fraction < 1)) throw new ValueError(`${name} fraction is ${fraction}: must be in [0, 1)`);
  }
  if (!Number.isInteger(seed)) throw new ValueError(`seed is ${seed}: must be an integer`);
  const testCount = Math.round(count * test);
  const validationCount = Math.round(count * validation);
  if (count - testCount - validationCount < 1) {
    throw new ValueError(`validation ${validation} and test ${test} leave no training rows out of ${count}`);
  }
  const order = Int32Array.from({ length: count }, (_, i) => i);
  new Random(seed).shuffle(order);
  const ascending = (rows: Int32Array) => rows.sort();
  return {
    test: ascending(order.slice(0, testCount)),
    validation: ascending(order.slice(testCount, testCount + validationCount)),
    train: ascending(order.slice(testCount + validationCount)),
  };
}
