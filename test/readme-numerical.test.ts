// Runs the code blocks of the README's numerical-gradient section as written, and checks every
// value their comments say they print. The one change: the 3000-iteration training run is cut to
// 20 iterations (its measured results are in the README's table, from the CLI).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReadmeBlock } from './support/readme.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const HEADING = '## The numerical gradient, as the tutorials teach it';

async function sectionBlocks(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  expect(start, 'the README has the section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const run = runReadmeBlock;

const numbersIn = (values: unknown[]): number[] => values.flatMap((v) =>
  typeof v === 'number' ? [v] : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : []);

/**
 * The values a `console.log(…); // [a, b] c` comment promises, each with the tolerance its
 * written digits imply (half a unit in the last place shown).
 */
function promised(code: string): { line: string; expected: { value: number; tolerance: number }[] }[] {
  return code.split('\n').filter((line) => /console\.log\(.*\/\/ *[[\d-]/.test(line)).map((line) => {
    const comment = line.slice(line.indexOf('//') + 2);
    const expected = [...comment.matchAll(/-?\d+(?:\.(\d+))?(?:e(-?\d+))?/g)].map((m) => ({
      value: Number(m[0]),
      tolerance: 0.5 * 10 ** (-(m[1]?.length ?? 0) + Number(m[2] ?? 0)),
    }));
    return { line, expected };
  });
}

describe('README: the numerical gradient, as the tutorials teach it', () => {
  it('has its three examples', async () => {
    expect(await sectionBlocks()).toHaveLength(3);
  });

  it.each([0, 1])('example %i runs as written and prints what its comments say', async (index) => {
    const code = (await sectionBlocks())[index];
    const logged = await run(code);
    const promises = promised(code);
    expect(promises.length).toBeGreaterThan(0);
    // Each commented console.log is one logged line, in order.
    const commented = code.split('\n').filter((line) => line.includes('console.log('))
      .map((line, i) => ({ line, i })).filter(({ line }) => promises.some((p) => p.line === line));
    for (const [k, { i }] of commented.entries()) {
      const actual = numbersIn(logged[i]);
      const { expected, line } = promises[k];
      expect(actual.length, line).toBe(expected.length);
      expected.forEach((e, j) => expect(Math.abs(actual[j] - e.value), `${line}: value ${j}`).toBeLessThanOrEqual(e.tolerance * (1 + 1e-12)));
    }
  });

  it('the training example runs (cut to 20 iterations) both ways and prints a loss every 100 and the results', async () => {
    const code = (await sectionBlocks())[2];
    expect(code).toContain('iterations: 3000');
    const logged = await run(code.replace('iterations: 3000', 'iterations: 20').replace('i % 100 === 0', 'i % 10 === 0'));
    const lines = logged.map((args) => String(args[0]));
    expect(lines.filter((l) => /^numerical iteration (10|20): loss \d\.\d{4}$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^backprop iteration (10|20): loss \d\.\d{4}$/.test(l))).toHaveLength(2);
    const accuracy = (gradient: string) => {
      const line = lines.find((l) => l.startsWith(`${gradient}: test accuracy`))!;
      expect(line).toMatch(/ms\/step$/);
      return Number(/accuracy ([\d.]+)/.exec(line)![1]);
    };
    // 20 steps of lr 0.001 on raw pixels already reach far above chance, both ways alike.
    expect(accuracy('numerical')).toBeGreaterThan(0.5);
    expect(Math.abs(accuracy('numerical') - accuracy('backprop'))).toBeLessThan(0.02);
  });
});
