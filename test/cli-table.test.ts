// `simdnet train --table`: both vega-datasets tables end to end through the CLI (a regression
// and a classification), the model file carrying the table transform that prediction needs, and
// the flags that do not go with a table.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { evaluationHeader } from '../src/cli-report.js';
import { loadTable } from '../src/data/table-node.js';
import { applyTableTransform } from '../src/data/table-transform.js';
import { activation, dense } from '../src/layers.js';
import { checkpointFromBytes } from '../src/model.js';
import { Network } from '../src/network.js';
import { train } from '../src/train.js';
import { defaultThreads } from '../src/runtime.js';
import { runCli } from './support/cli.js';
import { parseSvg } from './support/svg.js';
import { testRuntime } from './support/runtime.js';

const data = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data');
const CARS = ['--table', join(data, 'cars.json'), '--target', 'Miles_per_Gallon', '--features', 'Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration,Year,Origin'];
const WEATHER = ['--table', join(data, 'seattle-weather.csv'), '--target', 'weather', '--features', 'precipitation,temp_max,temp_min,wind'];

const run = (...args: string[]) => runCli('train', '--no-progress', ...args);

describe('simdnet train --table', () => {
  it('cars.json: a regression of Miles_per_Gallon learns (test R² > 0.8) and writes its files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    const result = await run(...CARS, '--epochs', '60', '--out', dir);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/regression of Miles_per_Gallon from 9 features, 9-32-1 relu/);
    expect(result.out).toMatch(/275 train \/ 39 validation \/ 78 test rows \(14 skipped for missing values\)/);
    const r2 = Number(/test mse [\d.]+, mae [\d.]+, r2 ([\d.-]+)/.exec(result.out)![1]);
    expect(r2).toBeGreaterThan(0.8);
    const history = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
    expect(history.final.test.r2).toBeCloseTo(r2, 4);
    expect(history.evaluations).toHaveLength(60);

    // The model predicts a new car through the transform stored with it.
    const runtime = await testRuntime();
    const { net, table } = checkpointFromBytes(runtime, new Uint8Array(await readFile(join(dir, 'model.safetensors'))));
    expect(table?.featureNames).toHaveLength(9);
    const mpg = net.predict(applyTableTransform(table!, [
      { Cylinders: 4, Displacement: 97, Horsepower: 88, Weight_in_lbs: 2130, Acceleration: 14.5, Year: '1971-01-01', Origin: 'Japan' },
      { Cylinders: 8, Displacement: 350, Horsepower: 165, Weight_in_lbs: 3693, Acceleration: 11.5, Year: '1970-01-01', Origin: 'USA' },
    ]));
    // A light four-cylinder car goes further on a gallon than a heavy V8.
    expect(mpg[0]).toBeGreaterThan(mpg[1] + 5);
  });

  it('seattle-weather.csv: a 5-class classification beats always predicting "sun" (0.41)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    const result = await run(...WEATHER, '--epochs', '20', '--out', dir);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/classification of weather from 4 features, 4-32-5 relu/);
    expect(Number(/test accuracy ([\d.]+)/.exec(result.out)![1])).toBeGreaterThan(0.7);
    expect(result.out).toMatch(/accuracy\.svg/);
  });

  it.each([
    [[...CARS, '--layers', '9,32,1'], /--layers does not go with --table/],
    [[...CARS, '--iterations', '10'], /--iterations does not go with --table/],
    [['--table', join(data, 'cars.json')], /--table needs --target/],
    [['--target', 'x'], /--target goes with --table/],
    [[...CARS, '--task', 'ranking'], /--task must be classification or regression/],
    [['--table', join(data, 'cars.json'), '--target', 'mpg'], /mpg/],
    [[...CARS, '--split-seed', '1.5'], /--split-seed expects an integer/],
  ])('%j is one line and a non-zero exit', async (args, message) => {
    const result = await run(...args);
    expect(result.code).not.toBe(0);
    expect(result.err.split('\n')).toHaveLength(1);
    expect(result.err).toMatch(message);
  });
});

describe('simdnet train --table, flag by flag, on a small table', () => {
  // 50 rows, one with a missing value: two numeric features, a text class, a 0/1 column and a
  // numeric target.
  const csv = ['x1,x2,label,k,y', ...Array.from({ length: 50 }, (_, i) => {
    const [x1, x2] = [i % 7, (i * 3) % 11];
    return `${x1},${i === 17 ? '' : x2},${x1 > 3 ? 'big' : 'small'},${x1 > 3 ? 1 : 0},${2 * x1 - x2 + 0.5}`;
  })].join('\n') + '\n';
  const writeTable = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-small-table-'));
    await writeFile(join(dir, 'small.csv'), csv);
    return join(dir, 'small.csv');
  };

  it('passes every option to the network and the training it runs, and reports them', async () => {
    // A thread count that is not the default, so the banner shows that it was passed on (the
    // results are the same for any count).
    const threads = defaultThreads() === 3 ? 2 : 3;
    const path = await writeTable();
    const out = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    const flags = ['--table', path, '--target', 'k', '--task', 'classification', '--features', ' x1 , x2', '--hidden', '8,4',
      '--activation', 'tanh', '--init', 'normal', '--weight-std', '0.3', '--seed', '3', '--split-seed', '2', '--optimizer', 'sgd',
      '--momentum', '0.5', '--schedule', 'cosine', '--lr', '0.05', '--batch', '4', '--epochs', '3', '--threads', String(threads), '--out', out];
    const result = await run(...flags);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);

    // The reference: the same table, network and training through the library.
    const table = await loadTable(path, { target: 'k', task: 'classification', features: ['x1', 'x2'], seed: 2 });
    const runtime = await testRuntime();
    const reference = new Network(runtime, {
      input: 2, layers: [dense(8), activation('tanh'), dense(4), activation('tanh'), dense(2)], loss: 'softmax-cross-entropy',
      init: 'normal', weightInitStd: 0.3, seed: 3,
    });
    const history = train(reference, { train: table.train, validation: table.validation, test: table.test }, {
      sampling: 'shuffled-epochs', epochs: 3, batchSize: 4, dropLast: false, learningRate: 0.05,
      optimizer: { type: 'sgd', momentum: 0.5, nesterov: false }, schedule: 'cosine', seed: 3,
    });
    const { net } = checkpointFromBytes(runtime, new Uint8Array(await readFile(join(out, 'model.safetensors'))));
    for (const name of reference.paramNames) expect(net.params[name], name).toEqual(reference.params[name]);

    const lines = result.out.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `simdnet: classification of k from 2 features, 2-8-4-2 tanh, ${reference.parameterCount} parameters, ${runtime.kernels.build} kernels, ${threads} threads`,
      `${table.train.count} train / ${table.validation!.count} validation / ${table.test!.count} test rows (1 skipped for missing values)` +
        '; 3 shuffled epochs of batch 4, sgd lr 0.05',
    ]);
    // Every epoch of three is printed (a twentieth of them rounds to 0), under one header.
    expect(lines[2]).toBe(evaluationHeader(history.evaluations[0]));
    expect(lines.slice(3, 6).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual(history.evaluations.map((e) => [String(e.epoch), String(e.iterations)]));
    expect(lines[6]).toMatch(new RegExp(`^done: ${history.iterations} iterations in [\\d.]+ s; test accuracy ${history.final.test!.accuracy!.toFixed(4)}$`));
    // The folder outside the working folder: named by its absolute path.
    expect(lines.slice(7).join(' ').split(/\s+/)).toEqual(['wrote', `${out}/:`, 'model.safetensors', 'model.pt.safetensors', 'history.json', 'loss.svg', 'accuracy.svg']);

    const saved = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(saved).toMatchObject({
      table: path, target: 'k', task: 'classification', features: ['x1', 'x2'],
      network: { input: 2, layers: JSON.parse(JSON.stringify(reference.layerSpecs)), loss: 'softmax-cross-entropy', init: 'normal', seed: 3 },
      training: { epochs: 3, batchSize: 4, learningRate: 0.05, schedule: 'cosine', seed: 3 }, iterations: history.iterations,
    });
    expect(saved.evaluations).toHaveLength(3);
    expect(saved.loss).toEqual(Array.from(history.loss));
    for (const chart of ['loss.svg', 'accuracy.svg']) expect(await readFile(join(out, chart), 'utf8')).toContain('>k: 2-8-4-2 tanh, lr 0.05<');
    // The accuracy chart's x axis counts epochs: 0 to 3.
    const accuracy = parseSvg(await readFile(join(out, 'accuracy.svg'), 'utf8'));
    expect(accuracy.filter((e) => e.attrs.y === '387').map((e) => e.text)).toEqual(['0', '1', '2', '3']);
    expect((await readFile(join(out, 'history.json'), 'utf8')).endsWith('}\n')).toBe(true);
    net.dispose();
    reference.dispose();
  });

  it('a regression: about twenty evaluations and the last, its error measures, no accuracy chart; --drop-last', async () => {
    const path = await writeTable();
    const out = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    const dispose = vi.spyOn(Network.prototype, 'dispose');
    const result = await run('--table', path, '--target', 'y', '--features', 'x1', '--hidden', '4', '--epochs', '42', '--batch', '8', '--drop-last', '--out', out);
    expect(result.err).toBe('');
    // The trained network's memory is given back.
    expect(dispose.mock.contexts.map((net) => (net as Network).disposed)).toEqual([true]);
    dispose.mockRestore();
    const table = await loadTable(path, { target: 'y', features: ['x1'], seed: 0 });
    const lines = result.out.split('\n');
    // No row misses its x1: the banner says nothing of skipped rows.
    expect(lines[1]).toBe(`${table.train.count} train / ${table.validation!.count} validation / ${table.test!.count} test rows; 42 shuffled epochs of batch 8, adam lr 0.01`);
    // Every second epoch (42 / 20 rounds to 2), and the last, 41.
    const epochs = lines.slice(3).filter((line) => /^ +\d+ +\d+ /.test(line)).map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(epochs).toEqual([...Array.from({ length: 21 }, (_, i) => 2 * i), 41]);
    const saved = JSON.parse(await readFile(join(out, 'history.json'), 'utf8'));
    expect(saved.iterations).toBe(42 * Math.floor(table.train.count / 8));
    const test = saved.final.test;
    expect(result.out).toContain(`; test mse ${test.mse.toFixed(4)}, mae ${test.mae.toFixed(4)}, r2 ${test.r2.toFixed(4)}\n`);
    expect(result.out.slice(result.out.indexOf('wrote ')).split(/\s+/).slice(2)).toEqual(['model.safetensors', 'model.pt.safetensors', 'history.json', 'loss.svg']);
  });

  it.each([['a regression', '1,1\n2,2'], ['a classification', '1,a\n2,b']])('a table of two rows has no validation or test rows, and says so (%s)', async (_, rows) => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-small-table-'));
    await writeFile(join(dir, 'two.csv'), `x,y\n${rows}\n`);
    const result = await run('--table', join(dir, 'two.csv'), '--target', 'y', '--epochs', '2', '--out', await mkdtemp(join(tmpdir(), 'simdnet-table-')));
    expect(result.err).toBe('');
    const lines = result.out.split('\n');
    expect(lines[1]).toBe('2 train / 0 validation / 0 test rows; 2 shuffled epochs of batch 32, adam lr 0.01');
    expect(lines[5]).toMatch(/^done: 2 iterations in \d+\.\d\d s; no test rows$/);
  });

  it('names the folder relative to the working folder when it is inside it, "." when it is it', async () => {
    const path = await writeTable();
    const parent = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    vi.spyOn(process, 'cwd').mockReturnValue(parent);
    try {
      expect((await run('--table', path, '--target', 'y', '--epochs', '1', '--out', join(parent, 'run'))).out).toMatch(/\nwrote run\/: model\.safetensors/);
      expect((await run('--table', path, '--target', 'y', '--epochs', '1', '--out', parent)).out).toMatch(/\nwrote \.\/: model\.safetensors/);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('without --out, the files go to ./out', async () => {
    const path = await writeTable();
    const cwd = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
    try {
      expect((await runCli('train', '--no-progress', '--table', path, '--target', 'y', '--epochs', '1')).out).toMatch(/\nwrote out\/: model\.safetensors/);
    } finally {
      vi.restoreAllMocks();
    }
    expect(JSON.parse(await readFile(join(cwd, 'out', 'history.json'), 'utf8')).target).toBe('y');
  });

  it('no bar with --no-progress on a terminal, nor without it elsewhere', async () => {
    const path = await writeTable();
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    try {
      const args = ['--table', path, '--target', 'y', '--epochs', '1', '--out', await mkdtemp(join(tmpdir(), 'simdnet-table-'))];
      expect((await runCli('train', ...args)).code).toBe(0); // stderr not a terminal here
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      expect((await runCli('train', '--no-progress', ...args)).code).toBe(0);
    } finally {
      write.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(written).toEqual([]);
  });

  it('draws a progress bar on a terminal, and clears it', async () => {
    const path = await writeTable();
    const written: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      const result = await runCli('train', '--table', path, '--target', 'y', '--epochs', '2', '--batch', '4', '--drop-last', '--out', await mkdtemp(join(tmpdir(), 'simdnet-table-')));
      expect(result.code).toBe(0);
    } finally {
      write.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    // The last step is always drawn, the bar's total counting whole batches only; the bar is
    // cleared before each printed row, the last one included.
    const table = await loadTable(path, { target: 'y', seed: 0 });
    const steps = 2 * Math.floor(table.train.count / 4);
    expect(table.train.count % 4).not.toBe(0);
    expect(written.filter((text) => text.startsWith(`\r[${'#'.repeat(24)}] ${steps}/${steps} loss `))).toHaveLength(1);
    expect(written[written.length - 1]).toBe('\r\x1b[K');
  });
});
