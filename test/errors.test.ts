// simdnet's error classes (errors.ts): each is a SimdnetError under its own name, so a caller
// (and a stack trace) can tell which input was wrong; DivergenceError names the step.
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';

describe('the error classes', () => {
  it('every one is a SimdnetError and an Error, named after its class', () => {
    const classes = Object.entries(errors).filter(([name]) => name !== 'DivergenceError') as [string, new (message: string) => Error][];
    expect(classes.map(([name]) => name).sort()).toEqual([
      'DatasetError', 'IdxFormatError', 'KernelLoadError', 'ModelFormatError', 'OutOfMemoryError', 'ShapeError', 'SimdnetError', 'ThreadError', 'ValueError',
    ]);
    for (const [name, ErrorClass] of classes) {
      const error = new ErrorClass('what went wrong');
      expect(error).toBeInstanceOf(errors.SimdnetError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.message).toBe('what went wrong');
      expect(String(error)).toBe(`${name}: what went wrong`);
    }
  });

  it('DivergenceError names the iteration and what was not finite', () => {
    const error = new errors.DivergenceError(42, 'the loss is NaN');
    expect(error).toBeInstanceOf(errors.SimdnetError);
    expect(error.name).toBe('DivergenceError');
    expect(error.iteration).toBe(42);
    expect(error.message).toBe('training diverged at iteration 42: the loss is NaN (a lower learning rate may help)');
  });
});
