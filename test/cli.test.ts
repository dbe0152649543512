// The CLI's output: a run's files (the charts with its final evaluation, the
// checkpoint) and lines of at most 80 columns, and a closed stdout. The text formats themselves
// are tested in cli-report.test.ts, the charts in training-charts.test.ts, --version in
// cli-run.test.ts.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const root = resolve(import.meta.dirname, '..');

const run = runCli;

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
