// `simdnet train --table`: both vega-datasets tables end to end through the CLI (a regression
// and a classification), the model file carrying the table transform that prediction needs, and
// the flags that do not go with a table.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { applyTableTransform } from '../src/data/table-transform.js';
import { checkpointFromBytes } from '../src/model.js';
import { runCli } from './support/cli.js';
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
