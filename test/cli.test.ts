// The CLI's output: --version, the evaluation table (80 columns), the progress bar's rate and
// time left, the list of files written, the charts (final evaluation, loss, validation and test
// together, a y axis that shows late training), and a closed stdout.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluationHeader, formatDuration, formatEvaluation, formatProgress, formatWritten } from '../src/cli-report.js';
import type { EvaluationRecord } from '../src/train.js';
import { accuracyChart, accuracyFloor, evaluationPoints, lossChart, smoothLoss } from '../src/training-charts.js';
import { runCli } from './support/cli.js';

const root = resolve(import.meta.dirname, '..');
const version = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version as string;

const run = runCli;

const evaluation = (accuracy: number, loss: number) => ({ accuracy, loss });
const record = (epoch: number, iterations: number, accuracy: number, extra: Partial<EvaluationRecord> = {}): EvaluationRecord => ({
  epoch, iterations, train: evaluation(accuracy, 1 - accuracy), test: evaluation(accuracy - 0.01, 1.1 - accuracy), elapsed: epoch * 0.8, ...extra,
});

describe('CLI text', () => {
  it('--version prints the package version', async () => {
    const result = await run('--version');
    expect(result).toEqual({ code: 0, out: `simdnet ${version}`, err: '' });
  });

  it('evaluation rows fit 80 columns with train, validation and test, under a header that names them', () => {
    const full = record(99, 1234567, 0.9876, { validation: evaluation(0.9, 12.3456), elapsed: 98765.4 });
    const header = evaluationHeader(full);
    const row = formatEvaluation(full);
    expect(header.length).toBeLessThan(80);
    expect(row.length).toBeLessThan(80);
    expect(header.split(/\s+/).filter(Boolean)).toEqual(['epoch', 'iter', 'train', 'acc', 'loss', 'val', 'acc', 'loss', 'test', 'acc', 'loss', 'time']);
    expect(row.split(/\s+/).filter(Boolean)).toEqual(['99', '1234567', '0.9876', '0.0124', '0.9000', '12.3456', '0.9776', '0.1124', '98765.4', 's']);
    // Columns line up: every number ends where its header ends.
    for (const word of ['iter', 'loss', 'time']) expect(row[header.indexOf(word) + word.length - 1]).toMatch(/\d|s/);
    const trainOnly = { epoch: 0, iterations: 1, train: evaluation(0.1, 2.3), elapsed: 0.1 };
    expect(formatEvaluation(trainOnly)).toBe('    0       1    0.1000  2.3000     0.1 s');
  });

  it('the progress bar shows the rate and the time left', () => {
    expect(formatProgress(2500, 10000, 0.31234, 2, 20)).toBe('[#####...............] 2500/10000 loss 0.3123 1250 it/s ETA 0:06');
    expect(formatProgress(30, 600, 2.1, 4, 20)).toBe('[#...................] 30/600 loss 2.1000 7.5 it/s ETA 1:16');
    expect(formatProgress(0, 100, NaN, 0, 20)).toMatch(/ETA \?$/);
    // Resumed at 5000: the rate counts this run's 1000 steps only.
    expect(formatProgress(6000, 10000, 0.2, 2, 20, 5000)).toMatch(/ 500 it\/s ETA 0:08$/);
    expect(formatProgress(10000, 10000, 0.2, 13.2).length).toBeLessThan(80);
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(59.6)).toBe('1:00');
  });

  it('the "wrote" list names every file, wrapped to 80 columns', () => {
    const files = ['model.safetensors', 'model.pt.safetensors', 'W1.txt', 'b1.txt', 'W2.txt', 'b2.txt', 'history.json', 'accuracy.svg', 'loss.svg', 'checkpoint.safetensors'];
    const text = formatWritten('out', files);
    expect(text.startsWith('wrote out/: model.safetensors')).toBe(true);
    for (const line of text.split('\n')) expect(line.length).toBeLessThan(80);
    expect(text.split(/\s+/).slice(2)).toEqual(files);
  });
});

describe('training charts', () => {
  it('a run whose last evaluation precedes the end plots its final evaluation', () => {
    // 600 steps, evaluated after step 1 only: the final evaluation at step 600 must be a point.
    const run = { evaluations: [record(0, 1, 0.1)], final: record(0, 600, 0.82), stepsPerEpoch: 600 };
    expect(evaluationPoints(run).map((p) => p.iterations)).toEqual([1, 600]);
    const svg = accuracyChart(run);
    expect(svg.match(/<circle /g)).toHaveLength(2 + 1); // two train points and the legend's
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="7"/g)).toHaveLength(2 + 1); // test: squares
    // The same final record is not drawn twice when the last evaluation is the final one.
    expect(evaluationPoints({ ...run, final: run.evaluations[0] })).toHaveLength(1);
  });

  it('zooms the accuracy axis on the second half of the run', () => {
    const values = [0.1, 0.85, 0.9, 0.92, 0.93, 0.94, 0.945];
    expect(accuracyFloor([{ label: 'train acc', values }])).toBeCloseTo(0.9, 10);
    expect(accuracyFloor([{ label: 'two points', values: [0.1, 0.82] }])).toBeCloseTo(0.05, 10);
    expect(accuracyFloor([{ label: 'none', values: [] }])).toBe(0);
    const run = { evaluations: values.map((v, i) => record(i, i * 600 + 1, v)), stepsPerEpoch: 600 };
    const svg = accuracyChart(run);
    expect(svg).toContain('>0.90<');
    expect(svg).not.toContain('>0.50<');
    expect(svg).toMatch(/clip-path="url\(#plot-640x420\)"/);
  });

  it('draws validation and test together, and the loss per step smoothed with the evaluations on it', () => {
    const run = {
      evaluations: [record(0, 10, 0.5, { validation: evaluation(0.48, 0.6) }), record(1, 20, 0.8, { validation: evaluation(0.77, 0.3) })],
      stepsPerEpoch: 10,
    };
    const svg = accuracyChart(run);
    for (const label of ['train acc', 'validation acc', 'test acc']) expect(svg).toContain(`>${label}<`);
    const loss = Float64Array.from({ length: 20 }, (_, i) => 2 / (i + 1));
    const lossSvg = lossChart(run, loss);
    for (const label of ['step loss (smoothed)', 'train loss', 'validation loss', 'test loss']) expect(lossSvg).toContain(`>${label}<`);
    expect(lossSvg).not.toMatch(/NaN/);
  });

  it('smoothLoss is a bias-corrected moving average', () => {
    expect(Array.from(smoothLoss([2, 2, 2]))).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
    const s = smoothLoss([1, 0], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(0.25 / 0.75, 12); // (0.5·0.5·1 + 0.5·0) / (1 − 0.25)
  });
});

describe('CLI runs', () => {
  it('a 600-iteration run writes accuracy.svg with its final evaluation, loss.svg, and lists the checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-cli-'));
    const result = await run('train', '--hidden', '16', '--iterations', '600', '--out', dir, '--no-progress');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThan(80);
    const wrote = result.out.slice(result.out.indexOf('wrote '));
    for (const file of ['model.safetensors', 'accuracy.svg', 'loss.svg', 'checkpoint.safetensors', 'history.json']) expect(wrote).toContain(file);
    const history = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
    expect(history.evaluations).toHaveLength(1);
    expect(history.final.test.accuracy).toBeGreaterThan(0.5);
    const svg = await readFile(join(dir, 'accuracy.svg'), 'utf8');
    expect(svg.match(/<circle /g)).toHaveLength(2 + 1);
    expect(await readFile(join(dir, 'loss.svg'), 'utf8')).toContain('step loss (smoothed)');
  });

  it('a closed stdout (| head) ends the process quietly with the SIGPIPE status', async () => {
    const child = spawn(process.execPath, [join(root, 'dist', 'bin.js'), 'train', '--hidden', '8', '--iterations', '50', '--no-progress',
      '--out', await mkdtemp(join(tmpdir(), 'simdnet-pipe-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader went away before the first line
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
