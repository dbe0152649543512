// What a CLI run on MNIST says and writes, on a tiny data set so that every run takes a moment:
// the banner for each kind of run, the final line, the list of files and where it says they
// are, history.json's record of the network and settings, the charts' titles, and the one-line
// report of an internal error.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settingsArgs } from '../src/cli-settings.js';
import { main } from '../src/cli.js';
import { checkpointFromBytes, encodeModel } from '../src/model.js';
import { loadMnist } from '../src/data/mnist-node.js';
import { MLP } from '../src/mlp.js';
import { Network } from '../src/network.js';
import { defaultThreads } from '../src/runtime.js';
import { runCli } from './support/cli.js';
import { testRuntime } from './support/runtime.js';
import { parseSvg } from './support/svg.js';
import { tinyMnist } from './support/tiny-mnist.js';

afterEach(() => vi.restoreAllMocks());

const data = await tinyMnist(); // 300 training and 100 test images
const build = (await testRuntime()).kernels.build;
const outDir = () => mkdtemp(join(tmpdir(), 'simdnet-run-'));
const run = async (...args: string[]) => {
  const out = await outDir();
  const result = await runCli('train', '--data', data, '--threads', '1', '--no-progress', '--out', out, ...args);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return { ...result, lines: result.out.split('\n'), out, history: JSON.parse(await readFile(join(out, 'history.json'), 'utf8')) };
};

it('--version prints the package version', async () => {
  const version = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8')).version as string;
  expect(await runCli('--version')).toEqual({ code: 0, out: `simdnet ${version}`, err: '' });
});

describe('the banner', () => {
  it('the thread count asked for', async () => {
    const threads = defaultThreads() === 3 ? 2 : 3; // not the default, so the banner shows it was passed on
    const result = await runCli('train', '--data', data, '--threads', String(threads), '--no-progress', '--out', await outDir(), '--hidden', '8', '--batch', '10', '--iterations', '2');
    expect(result.out.split('\n')[0]).toMatch(new RegExp(`, ${threads} threads$`));
  });

  it('an MLP with batches drawn with replacement', async () => {
    const { lines } = await run('--hidden', '8', '--batch', '10', '--iterations', '20');
    expect(lines.slice(0, 2)).toEqual([
      `simdnet: 784-8-10 sigmoid, ${784 * 8 + 8 + 8 * 10 + 10} parameters, ${build} kernels, 1 thread`,
      '300 train / 100 test images; 20 iterations of batch 10, sgd lr 0.1',
    ]);
  });

  it('shuffled epochs, a validation set, another optimizer and the cosine schedule', async () => {
    const { lines } = await run('--layers', '784,4,3,10', '--activation', 'relu', '--batch', '50', '--epochs', '2', '--validate', '--optimizer', 'adam', '--lr', '0.01', '--schedule', 'cosine');
    expect(lines.slice(0, 2)).toEqual([
      `simdnet: 784-4-3-10 relu, ${784 * 4 + 4 + 4 * 3 + 3 + 3 * 10 + 10} parameters, ${build} kernels, 1 thread`,
      '250 train / 50 validation / 100 test images; 2 shuffled epochs of batch 50, adam lr 0.01 (cosine)',
    ]);
  });

  it('the numerical gradient, with its step when given', async () => {
    const tiny = ['--layers', '784,2,10', '--batch', '5', '--iterations', '1'];
    expect((await run(...tiny, '--gradient', 'numerical')).lines[1]).toBe('300 train / 100 test images; 1 iterations of batch 5, sgd lr 0.1, numerical gradient');
    expect((await run(...tiny, '--gradient', 'numerical', '--numerical-step', '0.001')).lines[1]).toMatch(/, numerical gradient \(h 0\.001\)$/);
  });

  it('LeNet-5 by name, with its activation', async () => {
    const lenet = ['--model', 'lenet5', '--batch', '2', '--iterations', '1'];
    expect((await run(...lenet)).lines[0]).toBe(`simdnet: LeNet-5 relu, 61706 parameters, ${build} kernels, 1 thread`);
    expect((await run(...lenet, '--activation', 'tanh')).lines[0]).toMatch(/^simdnet: LeNet-5 tanh, 61706 parameters/);
  });

  it('a layer list by its canonical text', async () => {
    const { lines } = await run('--layers', 'dense(6)  tanh dense(10)', '--batch', '10', '--iterations', '2');
    expect(lines[0]).toBe(`simdnet: dense(6) tanh dense(10), ${784 * 6 + 6 + 6 * 10 + 10} parameters, ${build} kernels, 1 thread`);
  });
});

describe('after training', () => {
  it('the time, the final accuracy of each set, and the files, the checkpoint last', async () => {
    const { lines, history, out } = await run('--hidden', '8', '--batch', '10', '--iterations', '30', '--eval-every', '10', '--validate');
    const done = lines.findIndex((line) => line.startsWith('done: '));
    expect(lines[done]).toMatch(/^done: 30 iterations in \d+\.\d\d s \(\d+\.\d{3} ms\/iteration in training steps\)$/);
    const { train, validation, test } = history.final;
    expect(lines[done + 1]).toBe(`final: train acc ${train.accuracy.toFixed(4)}, validation acc ${validation.accuracy.toFixed(4)}, test acc ${test.accuracy.toFixed(4)}`);
    const files = ['model.safetensors', 'model.pt.safetensors', 'W1.txt', 'b1.txt', 'W2.txt', 'b2.txt', 'history.json', 'accuracy.svg', 'loss.svg', 'checkpoint.safetensors'];
    expect(lines.slice(done + 2).join(' ').split(/\s+/)).toEqual(['wrote', `${out}/:`, ...files]);
    // The evaluation table: one header, then a row per evaluation (after steps 1, 11 and 21).
    expect(lines.filter((line) => /^epoch +iter/.test(line.trim()))).toHaveLength(1);
    expect(history.evaluations.map((e: { iterations: number }) => e.iterations)).toEqual([1, 11, 21]);
    expect(lines.slice(3, done).map((line) => Number(line.trim().split(/\s+/)[1]))).toEqual([1, 11, 21]);
  });

  it('history.json records the network, its initialization, the flags that reproduce the run and the build', async () => {
    const { history, out } = await run('--hidden', '8', '--batch', '10', '--iterations', '20', '--init', 'normal', '--weight-std', '0.05', '--seed', '7');
    expect(history.network).toEqual({ sizes: [784, 8, 10], activations: ['sigmoid'], init: 'normal', weightInitStd: 0.05, seed: 7 });
    expect(history.settings).toEqual(settingsArgs({
      sizes: [784, 8, 10], activation: 'sigmoid', init: 'normal', weightStd: 0.05, seed: 7, optimizer: { type: 'sgd', momentum: 0, nesterov: false },
      learningRate: 0.1, schedule: 'constant', gradient: 'backprop', batchSize: 10, iterations: 20, dropLast: false, validate: false,
      dataDir: data, rawPixels: false,
    }));
    expect(history.build).toBe(build);
    expect((await readFile(join(out, 'history.json'), 'utf8')).endsWith('}\n')).toBe(true);
    expect(history.iterations).toBe(20);
    expect(history.loss).toHaveLength(20);
    expect(history.training).toMatchObject({ batchSize: 10, iterations: 20, seed: 7, sampling: 'with-replacement' });
  });

  it('a layer list\'s history.json describes its layers; the charts are titled by network and lr', async () => {
    const { history, out } = await run('--layers', 'dense(6) tanh dense(10)', '--batch', '10', '--iterations', '2', '--lr', '0.05');
    expect(history.network).toMatchObject({ input: 784, init: 'pytorch', seed: 0 });
    expect(history.network.layers).toHaveLength(3);
    for (const chart of ['accuracy.svg', 'loss.svg']) expect(await readFile(join(out, chart), 'utf8')).toContain('>dense(6) tanh dense(10), lr 0.05<');
    const mlp = await run('--hidden', '8', '--batch', '10', '--iterations', '2');
    for (const chart of ['accuracy.svg', 'loss.svg']) expect(await readFile(join(mlp.out, chart), 'utf8')).toContain('>784-8-10 sigmoid, lr 0.1<');
  });

  it('the folder is named relative to the working folder when it is inside it, "." when it is it', async () => {
    const parent = await outDir();
    vi.spyOn(process, 'cwd').mockReturnValue(parent);
    const inside = await runCli('train', '--data', data, '--hidden', '8', '--batch', '10', '--iterations', '2', '--no-progress', '--out', join(parent, 'run'));
    expect(inside.out).toMatch(/\nwrote run\/: model\.safetensors/);
    const here = await runCli('train', '--data', data, '--hidden', '8', '--batch', '10', '--iterations', '2', '--no-progress', '--out', parent);
    expect(here.out).toMatch(/\nwrote \.\/: model\.safetensors/);
  });

  it('the network is freed at the end of the run', async () => {
    const dispose = vi.spyOn(Network.prototype, 'dispose');
    await run('--hidden', '8', '--batch', '10', '--iterations', '2');
    expect(dispose.mock.contexts.map((net) => (net as Network).disposed)).toEqual([true]);
  });
});

describe('an internal error', () => {
  const failingHelp = async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...m) => void err.push(m.map(String).join(' ')));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw new TypeError('the stream broke');
    });
    return { code: await main(['--help']), err };
  };

  it('a thrown value that is not an Error is shown as it is', async () => {
    for (const thrown of ['broken', undefined]) {
      const err: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...m) => void err.push(m.map(String).join(' ')));
      vi.spyOn(process.stdout, 'write').mockImplementation(() => {
        throw thrown;
      });
      vi.stubEnv('SIMDNET_DEBUG', '');
      expect(await main(['--help'])).toBe(70);
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
      expect(err[0]).toBe(`simdnet: internal error: ${String(thrown)}`);
    }
  });

  it('is status 70, its message and a request to report it', async () => {
    vi.stubEnv('SIMDNET_DEBUG', '');
    expect(await failingHelp()).toEqual({
      code: 70, err: ['simdnet: internal error: the stream broke', '(set SIMDNET_DEBUG=1 for the stack trace, and please report it)'],
    });
    vi.unstubAllEnvs();
  });

  it('with SIMDNET_DEBUG set, the error itself, stack and all', async () => {
    vi.stubEnv('SIMDNET_DEBUG', '1');
    const { code, err } = await failingHelp();
    vi.unstubAllEnvs();
    expect(code).toBe(70);
    expect(err[0]).toBe('simdnet: internal error: the stream broke');
    expect(err[1]).toMatch(/^TypeError: the stream broke/);
    expect(err).toHaveLength(2);
  });
});

describe('--resume, refused', () => {
  /** A 784-8-10 run of 20 steps evaluated at 1 and 11: its folder. */
  const trained = async () => (await run('--hidden', '8', '--batch', '10', '--iterations', '20', '--eval-every', '10')).out;
  /** The checkpoint of `dir` written again with other settings. */
  const rewritten = async (dir: string, settings: Record<string, unknown> | undefined) => {
    const runtime = await testRuntime();
    const checkpoint = checkpointFromBytes(runtime, new Uint8Array(await readFile(join(dir, 'checkpoint.safetensors'))));
    const path = join(dir, 'rewritten.safetensors');
    await writeFile(path, encodeModel(checkpoint.net, checkpoint.progress, settings ? { settings } : {}));
    checkpoint.net.dispose();
    return path;
  };
  const resume = (path: string, ...args: string[]) => runCli('train', '--data', data, '--no-progress', '--resume', path, '--out', join(path, '..', 'resumed'), ...args);

  it('a file it cannot read', async () => {
    expect(await resume('/nonexistent/checkpoint.safetensors')).toEqual({ code: 2, out: '', err: 'simdnet: --resume: cannot read /nonexistent/checkpoint.safetensors' });
  });

  it('stored settings that are not flags, or no flags of an MNIST run', async () => {
    const dir = await trained();
    const bogus = await rewritten(dir, { cli: ['--bogus'] });
    expect(await resume(bogus)).toEqual({ code: 1, out: '', err: `simdnet: ${bogus}: its stored settings are not valid flags: Unknown option '--bogus' (see --help)` });
    for (const cli of [[1, 2], ['--hidden', 8], 'train', ['--table', 't.csv', '--target', 'y']]) {
      const path = await rewritten(dir, { cli });
      expect(await resume(path), JSON.stringify(cli)).toEqual({ code: 1, out: '', err: `simdnet: ${path}: metadata settings hold no CLI flags of an MNIST run` });
    }
  });

  it('a checkpoint of an earlier release (no settings): the flags are taken as given, and must describe its network', async () => {
    const dir = await trained();
    const path = await rewritten(dir, undefined);
    const other = await resume(path, '--hidden', '4', '--batch', '10', '--iterations', '20');
    expect(other).toEqual({ code: 2, out: '', err: `simdnet: --resume: ${path} holds a 784-8-10 sigmoid network, the flags describe 784-4-10 sigmoid` });
    const deeper = await resume(path, '--layers', '784,4,3,10', '--batch', '10', '--iterations', '20');
    expect(deeper.err).toBe(`simdnet: --resume: ${path} holds a 784-8-10 sigmoid network, the flags describe 784-4-3-10 sigmoid/sigmoid`);
    const same = await resume(path, '--hidden', '8', '--batch', '10', '--iterations', '20');
    expect(same.err).toBe('');
    expect(same.out).toMatch(/^simdnet: 784-8-10 sigmoid, /);
  });

  it('a model file without training progress', async () => {
    const dir = await trained();
    const model = join(dir, 'model.safetensors');
    expect(await resume(model, '--hidden', '8')).toEqual({ code: 2, out: '', err: `simdnet: --resume: ${model} holds no training progress, the flags describe 784-8-10 sigmoid` });
  });
});

describe('the data a network takes', () => {
  it.each([['100,10'], ['784,8,5']])('--layers %s: from 784 pixels to 10 classes', async (layers) => {
    const result = await runCli('train', '--data', data, '--no-progress', '--layers', layers, '--out', await outDir());
    expect(result).toEqual({ code: 2, out: '', err: 'simdnet: --layers must start with 784 (pixels per image) and end with 10 (classes)' });
  });
});

describe('on a terminal', () => {
  /** The run with stderr a terminal, and what was written to it. */
  async function onTerminal(...args: string[]) {
    const written: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      const result = await runCli('train', '--data', data, '--out', await outDir(), ...args);
      expect(result.code).toBe(0);
    } finally {
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    return written;
  }
  const bars = (written: string[]) => written.filter((text) => text.startsWith('\r['));

  it('a progress bar to the last step, cleared at the end', async () => {
    const written = await onTerminal('--hidden', '8', '--batch', '10', '--iterations', '25', '--eval-every', '10');
    expect(bars(written).at(-1)).toMatch(/^\r\[#{24}\] 25\/25 loss /);
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('with --epochs, the bar counts the steps of the epochs, whole batches only with --drop-last', async () => {
    // 300 images in batches of 40: 8 steps an epoch, 7 whole ones.
    expect(bars(await onTerminal('--hidden', '8', '--batch', '40', '--epochs', '3')).at(-1)).toMatch(/ 24\/24 loss /);
    expect(bars(await onTerminal('--hidden', '8', '--batch', '40', '--epochs', '3', '--drop-last')).at(-1)).toMatch(/ 21\/21 loss /);
  });

  it('not on a terminal: no bar', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const result = await runCli('train', '--data', data, '--out', await outDir(), '--hidden', '8', '--batch', '10', '--iterations', '20');
    expect(result.code).toBe(0);
    expect(written).toEqual([]);
  });

  it('--no-progress draws none', async () => {
    expect(await onTerminal('--hidden', '8', '--batch', '10', '--iterations', '20', '--no-progress')).toEqual([]);
  });
});

describe('the charts\' x axes', () => {
  const xTicks = (svg: string) => parseSvg(svg).filter((e) => e.attrs.y === '387').map((e) => e.text);

  it('accuracy per epoch of the training set, the loss per step from step 1', async () => {
    // 300 training images, batch 10: 30 steps an epoch; 60 steps are 2 epochs.
    const { out } = await run('--hidden', '8', '--batch', '10', '--iterations', '60');
    expect(xTicks(await readFile(join(out, 'accuracy.svg'), 'utf8'))).toEqual(['0', '1', '2']);
    const loss = parseSvg(await readFile(join(out, 'loss.svg'), 'utf8'));
    const steps = loss.find((e) => e.name === 'path')!.attrs.d;
    expect(steps.startsWith(`M${(64 + (1 / 60) * 556).toFixed(1)},`)).toBe(true);
  });

  it('with --validate, an epoch is a pass over the 250 images left for training', async () => {
    // batch 10: 25 steps an epoch; 50 steps are 2 epochs.
    const { out } = await run('--hidden', '8', '--batch', '10', '--iterations', '50', '--validate');
    expect(xTicks(await readFile(join(out, 'accuracy.svg'), 'utf8'))).toEqual(['0', '1', '2']);
  });
});

it('without --out, the files go to ./out', async () => {
  const cwd = await outDir();
  vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  const result = await runCli('train', '--data', data, '--no-progress', '--hidden', '8', '--batch', '10', '--iterations', '2');
  expect(result.out).toMatch(/\nwrote out\/: model\.safetensors/);
  expect(JSON.parse(await readFile(join(cwd, 'out', 'history.json'), 'utf8')).iterations).toBe(2);
});

it('a relative --data is stored as an absolute folder', async () => {
  vi.spyOn(process, 'cwd').mockReturnValue(join(data, '..'));
  const { history } = await run('--data', basename(data), '--hidden', '8', '--batch', '10', '--iterations', '2');
  expect(history.settings.slice(-2)).toEqual(['--data', data]);
});

describe('what a run trains on', () => {
  it('pixels scaled to [0,1], or 0..255 with --raw-pixels: the first evaluation is the initial network\'s on them', async () => {
    // A learning rate far below any weight's float32 step leaves the network as initialized.
    const runtime = await testRuntime();
    for (const raw of [false, true]) {
      const { history } = await run('--hidden', '8', '--batch', '10', '--iterations', '1', '--lr', '1e-30', ...(raw ? ['--raw-pixels'] : []));
      const mnist = await loadMnist(data, { normalize: !raw });
      const net = new MLP(runtime, { sizes: [784, 8, 10], activation: 'sigmoid', init: 'normal', weightInitStd: 0.01, seed: 0 });
      expect(history.evaluations[0].train.loss, raw ? 'raw' : 'scaled').toBeCloseTo(net.evaluate(mnist.train.images, mnist.train.labels).loss, 6);
      net.dispose();
    }
  });

  it('--epochs with a batch larger than the set trains, unless --drop-last leaves no batch; a batch of the whole set is one', async () => {
    expect((await run('--hidden', '8', '--batch', '400', '--epochs', '1')).history.iterations).toBe(1);
    expect((await run('--hidden', '8', '--batch', '300', '--epochs', '1', '--drop-last')).history.iterations).toBe(1);
  });

  it('a resumed checkpoint of an earlier release continues with its own optimizer, and says so', async () => {
    const { out } = await run('--hidden', '8', '--batch', '10', '--iterations', '20', '--eval-every', '10', '--optimizer', 'adam', '--lr', '0.01');
    const runtime = await testRuntime();
    const checkpoint = checkpointFromBytes(runtime, new Uint8Array(await readFile(join(out, 'checkpoint.safetensors'))));
    const path = join(out, 'no-settings.safetensors');
    await writeFile(path, encodeModel(checkpoint.net, checkpoint.progress));
    checkpoint.net.dispose();
    const resumed = await run('--resume', path, '--hidden', '8', '--batch', '10', '--iterations', '20', '--lr', '0.01');
    expect(resumed.lines[1]).toMatch(/; 20 iterations of batch 10, adam lr 0\.01$/);
    expect(resumed.history.settings).toEqual(expect.arrayContaining(['--optimizer', 'adam']));
  });

  it('a layer list\'s checkpoint (of an earlier release) is not resumed as the MLP of the same layers', async () => {
    const { out } = await run('--layers', 'dense(8) sigmoid dense(10)', '--init', 'normal', '--batch', '10', '--iterations', '20', '--eval-every', '10');
    const runtime = await testRuntime();
    const checkpoint = checkpointFromBytes(runtime, new Uint8Array(await readFile(join(out, 'checkpoint.safetensors'))));
    const path = join(out, 'no-settings.safetensors');
    await writeFile(path, encodeModel(checkpoint.net, checkpoint.progress));
    checkpoint.net.dispose();
    const result = await runCli('train', '--data', data, '--no-progress', '--resume', path, '--hidden', '8', '--batch', '10', '--iterations', '20', '--out', await outDir());
    expect(result).toEqual({ code: 2, out: '', err: `simdnet: --resume: ${path} holds a dense(8) sigmoid dense(10) network, the flags describe 784-8-10 sigmoid` });
  });
});
