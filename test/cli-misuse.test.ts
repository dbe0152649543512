// The CLI under misuse: every user-caused failure is one `simdnet: …` line with a meaningful exit
// status, found before anything trains where it can be; a resumed run is held to its own
// settings and keeps its whole history; a diverging run stops without replacing a good file.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EXIT_CANT_CREATE, EXIT_OUT_OF_MEMORY } from '../src/cli-failure.js';
import { main } from '../src/cli.js';
import { decodeModel } from '../src/model.js';
import { buildUnderTest } from './support/runtime.js';
import { tinyMnist } from './support/tiny-mnist.js';

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...m) => void out.push(m.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...m) => void err.push(m.join(' ')));
  try {
    const code = await main(['train', '--build', buildUnderTest, '--no-progress', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const data = await tinyMnist();
const small = ['--data', data, '--hidden', '8', '--batch', '10'];
const outDir = () => mkdtemp(join(tmpdir(), 'simdnet-misuse-'));

/** One line on stderr, `simdnet: …` matching `message`, the exit status, and no training. */
function expectRefused(result: { code: number; out: string; err: string }, code: number, message: RegExp) {
  expect(result.err.split('\n')).toHaveLength(1);
  expect(result.err).toMatch(/^simdnet: /);
  expect(result.err).toMatch(message);
  expect(result.err).not.toMatch(/internal error/);
  expect(result.code).toBe(code);
  expect(result.out).not.toMatch(/epoch +iter/);
}

describe('flags that cannot describe a run are usage errors', () => {
  it.each([
    ['a seed past 2^32 − 1 (P)', ['--seed', '4294967296'], /--seed expects an integer from 0 to 4294967295/],
    ['a fractional seed (P)', ['--seed', '1.5'], /--seed expects an integer/],
    ['--epochs with --iterations (O)', ['--epochs', '2', '--iterations', '50'], /give --iterations or --epochs, not both/],
    ['--drop-last with a batch larger than the set (O)', ['--epochs', '2', '--drop-last', '--batch', '301'], /--drop-last with --batch 301, more than the 300 training images, trains no step/],
  ])('%s', async (_, args, message) => {
    expectRefused(await run(...small, '--out', await outDir(), ...args), 2, message);
  });

  it('--iterations 1e10 is refused, not an internal error (L)', async () => {
    expectRefused(await run(...small, '--out', await outDir(), '--iterations', '1e10'), 1, /10000000000 steps planned: a run may plan at most 100000000/);
  });

  it.each([['--hidden', '100000000'], ['--batch', '1000000000']])('%s %s: out of memory, one line, status 71 (L)', async (flag, value) => {
    expectRefused(await run(...small, '--out', await outDir(), flag, value, '--iterations', '1'), EXIT_OUT_OF_MEMORY, /out of WebAssembly memory: needed \d+ bytes/);
  });
});

describe('--validate and the data sets’ geometry (M, N)', () => {
  it('holds out the last sixth of a set that is not 60000 images, and says so', async () => {
    const out = await outDir();
    const result = await run(...small, '--out', out, '--iterations', '20', '--validate');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('250 train / 50 validation / 100 test images');
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(history.final.validation.accuracy).toBeGreaterThanOrEqual(0);
  });

  it('refuses a set too small to hold out a sixth', async () => {
    const tiny = await tinyMnist({ train: 5, test: 5 });
    expectRefused(await run('--data', tiny, '--hidden', '8', '--batch', '2', '--out', await outDir(), '--validate'), 2, /last sixth of the training images: 5 are too few/);
  });

  it('refuses test images of another geometry with as many pixels, naming both', async () => {
    const wide = await tinyMnist({ testShape: [14, 56] });
    expectRefused(await run('--data', wide, '--hidden', '8', '--out', await outDir()), 1, /train images are 28×28, test images 14×56/);
  });
});

describe('the output folder and the filesystem (L)', () => {
  it('an --out that is a file is refused before training', async () => {
    const file = join(await outDir(), 'a-file');
    await writeFile(file, 'x');
    expectRefused(await run(...small, '--out', file, '--iterations', '20'), 2, /--out .*a-file is a file, not a folder/);
  });

  it('an --out under a file is refused before training', async () => {
    const file = join(await outDir(), 'a-file');
    await writeFile(file, 'x');
    expectRefused(await run(...small, '--out', join(file, 'run'), '--iterations', '20'), EXIT_CANT_CREATE, /cannot create the folder .*a-file\/run: a part of the path is a file/);
  });
});

describe('a diverging run (F)', () => {
  it('--lr 1e38 exits non-zero with one line and leaves no non-finite checkpoint or model', async () => {
    const out = await outDir();
    expect((await run(...small, '--out', out, '--iterations', '20')).code).toBe(0);
    const good = await readFile(join(out, 'checkpoint.safetensors'));
    const model = await readFile(join(out, 'model.safetensors'));
    const result = await run(...small, '--out', out, '--iterations', '200', '--eval-every', '1', '--lr', '1e38');
    expect(result.err).toMatch(/^simdnet: training diverged at iteration \d+: the (step|train|test) loss is (NaN|Infinity|-Infinity)/);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.code).toBe(1);
    // Whatever checkpoint is there loads (finite); the model of the good run is untouched.
    const checkpoint = await readFile(join(out, 'checkpoint.safetensors'));
    expect(() => decodeModel(checkpoint)).not.toThrow();
    for (const { data } of decodeModel(checkpoint).tensors) expect(data.every(Number.isFinite)).toBe(true);
    expect(good.length).toBeGreaterThan(0);
    expect(await readFile(join(out, 'model.safetensors'))).toEqual(model);
  });
});

describe('--resume holds the run to its settings and keeps its history (E, H)', () => {
  it('a flag that contradicts the checkpoint is refused by name; without flags it continues as the uninterrupted run', async () => {
    const args = [...small, '--iterations', '40', '--eval-every', '20', '--lr', '0.2', '--optimizer', 'sgd', '--momentum', '0.5'];
    const straightDir = await outDir();
    expect((await run(...args, '--out', straightDir)).code).toBe(0);
    const straight = JSON.parse(await readFile(join(straightDir, 'history.json'), 'utf8'));
    // The last checkpoint of that run is at iteration 21: resume from it.
    const checkpoint = join(straightDir, 'checkpoint.safetensors');

    for (const [flags, named] of [
      [['--lr', '0.5'], /trained with --lr 0.2, the flags give --lr 0.5/],
      [['--batch', '20'], /--batch 10, the flags give --batch 20/],
      [['--optimizer', 'adam'], /--optimizer sgd --momentum 0.5, the flags give --optimizer adam/],
      [['--epochs', '2'], /--iterations 40 --eval-every 20, the flags give --epochs 2/],
      [['--validate'], /no --validate, the flags give --validate/],
      [['--seed', '3'], /--seed 0, the flags give --seed 3/],
      [['--data', await tinyMnist()], /trained with --data .*, the flags give --data /],
    ] as const) {
      expectRefused(await run('--resume', checkpoint, '--out', await outDir(), ...flags), 2, named);
    }

    const resumedDir = await outDir();
    const resumed = await run('--resume', checkpoint, '--out', resumedDir, '--data', data);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/40 iterations of batch 10, sgd lr 0.2/);
    const history = JSON.parse(await readFile(join(resumedDir, 'history.json'), 'utf8'));
    expect(history.training.learningRate).toBe(0.2);
    expect(history.training.optimizer).toMatchObject({ type: 'sgd', momentum: 0.5 });
    expect(history.settings.join(' ')).toMatch(/--optimizer sgd --momentum 0.5 .*--lr 0.2 .*--batch 10 --iterations 40 --eval-every 20/);
    // The whole run's history: the first 21 losses as the checkpoint stored them (F32).
    expect(history.loss).toEqual(straight.loss.map((v: number, i: number) => (i < 21 ? Math.fround(v) : v)));
    expect(history.evaluations.map((e: { iterations: number }) => e.iterations)).toEqual([1, 21]);
    expect(history.final).toEqual({ ...straight.final, elapsed: history.final.elapsed });
    const svg = await readFile(join(resumedDir, 'accuracy.svg'), 'utf8');
    expect(svg.match(/<circle /g)).toHaveLength(3 + 1); // evaluations 1, 21, the final, the legend
  });
});
