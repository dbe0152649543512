// What the CLI prints while it trains (cli-report.ts): the evaluation table in 80 columns, the
// progress bar's text and its drawing (against a virtual clock and a stream that records what
// is written), the list of files written, the closed-pipe exit, the banner's thread count.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  evaluationHeader, exitQuietlyOnClosedPipe, formatDuration, formatEvaluation, formatProgress, formatWritten, progressBar, threadsText,
} from '../src/cli-report.js';
import { evaluation, record } from './support/evaluation-record.js';

afterEach(() => vi.restoreAllMocks());

describe('CLI text', () => {
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
    // No time passed yet: no rate (not 0/0) and no time left.
    expect(formatProgress(0, 100, NaN, 0, 20)).toBe('[....................] 0/100 loss NaN 0.0 it/s ETA ?');
    // From 100 steps a second on, the rate is a whole number.
    expect(formatProgress(100, 1000, 1, 1, 20)).toMatch(/ 100 it\/s ETA 0:09$/);
    expect(formatProgress(99, 1000, 1, 1, 20)).toMatch(/ 99\.0 it\/s /);
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

  it('a "wrote" line takes up to 79 columns, and a continued one is indented by two', () => {
    const fits = 'f'.repeat(79 - 'wrote out/: '.length);
    expect(formatWritten('out', [fits])).toBe(`wrote out/: ${fits}`);
    expect(formatWritten('out', [`${fits}g`])).toBe(`wrote out/:\n  ${fits}g`);
    expect(formatWritten('out', ['a', fits])).toBe(`wrote out/: a\n  ${fits}`);
  });
});

/** A progress bar on a recording stream, with performance.now() read from `clock.ms`. */
function recordedBar(total: number) {
  const clock = { ms: 1000 };
  vi.spyOn(performance, 'now').mockImplementation(() => clock.ms);
  const written: string[] = [];
  const stream = { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { bar: progressBar(total, stream), clock, written };
}

describe('progressBar', () => {
  it('draws every 20th step, at most every 100 ms, with the time since it was made', () => {
    const { bar, clock, written } = recordedBar(1000);
    clock.ms = 1500;
    bar.step(1, 2.5); // not a multiple of 20
    bar.step(19, 2.5);
    expect(written).toEqual([]);
    bar.step(20, 2.25);
    expect(written).toEqual([`\r${formatProgress(20, 1000, 2.25, 0.5, 24, 0)}\x1b[K`]);
    clock.ms = 1599; // 99 ms after the last drawing
    bar.step(40, 2);
    expect(written).toHaveLength(1);
    clock.ms = 1600; // 100 ms after it
    bar.step(40, 2);
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(`\r${formatProgress(40, 1000, 2, 0.6, 24, 0)}\x1b[K`);
  });

  it('always draws the last step, however soon', () => {
    const { bar, clock, written } = recordedBar(30);
    clock.ms = 1200;
    bar.step(20, 1); // its first step: the rate counts from step 19
    bar.step(30, 0.5); // the last step, not a multiple of 20, 0 ms later
    expect(written).toEqual([`\r${formatProgress(20, 30, 1, 0.2, 24, 19)}\x1b[K`, `\r${formatProgress(30, 30, 0.5, 0.2, 24, 19)}\x1b[K`]);
  });

  it('a resumed run counts its rate from the first step it took', () => {
    const { bar, clock, written } = recordedBar(10000);
    clock.ms = 3000;
    bar.step(5001, 0.3); // resumed after step 5000
    bar.step(5020, 0.3);
    expect(written).toEqual([`\r${formatProgress(5020, 10000, 0.3, 2, 24, 5000)}\x1b[K`]);
    expect(written[0]).toMatch(/ 10\.0 it\/s /);
  });

  it('clear() erases the line', () => {
    const { bar, written } = recordedBar(10);
    bar.clear();
    expect(written).toEqual(['\r\x1b[K']);
  });
});

describe('the evaluation table of a regression', () => {
  it('says r2 instead of acc, and keeps a loss of 100 or more to its column', () => {
    const record = { epoch: 0, iterations: 1, train: { loss: 1234.56789, r2: -0.5, count: 10 }, test: { loss: 99.99994, r2: 0.25, count: 10 }, elapsed: 0.2 };
    expect(evaluationHeader(record).split(/\s+/).filter(Boolean)).toEqual(['epoch', 'iter', 'train', 'r2', 'loss', 'test', 'r2', 'loss', 'time']);
    expect(formatEvaluation(record)).toBe('    0       1   -0.5000 1234.57    0.2500 99.9999     0.2 s');
  });

  it('a loss of exactly 100 takes six digits, as larger ones', () => {
    expect(formatEvaluation({ epoch: 0, iterations: 1, train: { loss: 100, r2: 0, count: 10 }, elapsed: 0 })).toBe('    0       1    0.0000 100.000     0.0 s');
  });

  it('a record with neither accuracy nor R² shows NaN, not a number it does not have', () => {
    expect(formatEvaluation({ epoch: 0, iterations: 1, train: { loss: 1, count: 10 }, elapsed: 0 })).toBe('    0       1       NaN  1.0000     0.0 s');
  });
});

describe('exitQuietlyOnClosedPipe', () => {
  /** Installs the handlers, runs `use` with them, and takes them off the process's streams again. */
  function withHandlers(use: (handlers: ((error: NodeJS.ErrnoException) => void)[]) => void) {
    const streams = [process.stdout, process.stderr];
    const before = streams.map((stream) => stream.listeners('error'));
    exitQuietlyOnClosedPipe();
    const added = streams.map((stream, i) => stream.listeners('error').filter((l) => !before[i].includes(l)) as ((error: NodeJS.ErrnoException) => void)[]);
    try {
      expect(added.map((handlers) => handlers.length)).toEqual([1, 1]);
      use(added.flat());
    } finally {
      streams.forEach((stream, i) => added[i].forEach((l) => stream.off('error', l)));
    }
  }

  it('EPIPE on stdout or stderr exits with 141, the status of a process killed by SIGPIPE', () => {
    // process.exit does not return: the stand-in throws, so nothing after it runs either.
    class Exited extends Error {}
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => {
      throw new Exited();
    });
    withHandlers((handlers) => {
      for (const handler of handlers) expect(() => handler(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toThrow(Exited);
    });
    expect(exit.mock.calls).toEqual([[141], [141]]);
  });

  it('any other stream error is thrown on', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    withHandlers((handlers) => {
      for (const handler of handlers) {
        const error = Object.assign(new Error('write EIO'), { code: 'EIO' });
        expect(() => handler(error)).toThrow(error);
      }
    });
    expect(exit).not.toHaveBeenCalled();
  });
});

describe('threadsText', () => {
  it('one thread, or a plural', () => {
    expect([1, 2, 8].map(threadsText)).toEqual(['1 thread', '2 threads', '8 threads']);
  });
});
