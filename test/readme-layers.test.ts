// The README's layer-engine example, run as written against the package's Node entry.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';
import { readmeExample } from './support/readme.js';

const root = fileURLToPath(new URL('..', import.meta.url));

it('README example "layers" runs as written: the regression fits (R² > 0.99) and predicts two values', async () => {
  const source = readmeExample('layers').replaceAll("from 'simdnet'", `from ${JSON.stringify(join(root, 'src', 'node.ts'))}`);
  const file = join(await mkdtemp(join(tmpdir(), 'simdnet-readme-')), 'layers.ts');
  await writeFile(file, source);
  const logged: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void logged.push(args));
  try {
    await import(file);
  } finally {
    log.mockRestore();
  }
  expect(logged[0][0]).toBeGreaterThan(0.99);
  expect(logged[1][0]).toBeInstanceOf(Float32Array);
  expect((logged[1][0] as Float32Array).length).toBe(2);
});
