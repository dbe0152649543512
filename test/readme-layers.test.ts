// The README's layer-engine examples, run as written against the package's Node entry.
import { expect, it } from 'vitest';
import { readmeExample, runReadmeBlock } from './support/readme.js';

it('README example "layers" runs as written: the regression fits (R² > 0.99) and predicts two values', async () => {
  const logged = await runReadmeBlock(readmeExample('layers'));
  expect(logged[0][0]).toBeGreaterThan(0.99);
  expect(logged[1][0]).toBeInstanceOf(Float32Array);
  expect((logged[1][0] as Float32Array).length).toBe(2);
});

it('README example "batchnorm" runs as written: it learns, and names its buffers as PyTorch', async () => {
  const logged = await runReadmeBlock(readmeExample('batchnorm'));
  expect(logged[0][0]).toBeGreaterThan(0.95);
  expect(logged[1][0]).toEqual(['running_mean2', 'running_var2', 'num_batches_tracked2']);
});
