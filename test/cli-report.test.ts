// The parts of cli-report.ts that depend on time and on the process: the progress bar (against a
// virtual clock and a stream that records what is written), the closed-pipe exit, and the
// banner's thread count. The table and text formats are in cli.test.ts ("CLI text").
import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluationHeader, exitQuietlyOnClosedPipe, formatEvaluation, formatProgress, progressBar, threadsText } from '../src/cli-report.js';

afterEach(() => vi.restoreAllMocks());

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
    const record = { epoch: 0, iterations: 1, train: { loss: 1234.56789, r2: -0.5 }, test: { loss: 99.99994, r2: 0.25 }, elapsed: 0.2 };
    expect(evaluationHeader(record).split(/\s+/).filter(Boolean)).toEqual(['epoch', 'iter', 'train', 'r2', 'loss', 'test', 'r2', 'loss', 'time']);
    expect(formatEvaluation(record)).toBe('    0       1   -0.5000 1234.57    0.2500 99.9999     0.2 s');
  });

  it('a record with neither accuracy nor R² shows NaN, not a number it does not have', () => {
    expect(formatEvaluation({ epoch: 0, iterations: 1, train: { loss: 1 }, elapsed: 0 })).toBe('    0       1       NaN  1.0000     0.0 s');
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
