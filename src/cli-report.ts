// What the CLI prints while it trains: a table of evaluations that fits 80 columns, a progress
// bar with rate and time left, and the list of files written. Kept apart from the flag parsing.
import type { EvaluationRecord } from './train.js';

const SETS = [['train', 'train'], ['validation', 'val'], ['test', 'test']] as const;
const ACC_WIDTH = 10;
const LOSS_WIDTH = 8;
const TIME_WIDTH = 10;

/** The table's header, for the sets the records will hold: accuracy, or R² for a regression. */
export function evaluationHeader(record: EvaluationRecord): string {
  let line = 'epoch'.padStart(5) + 'iter'.padStart(8);
  for (const [name, short] of SETS) {
    const e = record[name];
    if (e) line += `${short} ${e.accuracy === undefined ? 'r2' : 'acc'}`.padStart(ACC_WIDTH) + 'loss'.padStart(LOSS_WIDTH);
  }
  return line + 'time'.padStart(TIME_WIDTH);
}

/** One row: 77 characters with all three sets (up to 7-digit iteration counts, 99999.9 s). */
export function formatEvaluation(record: EvaluationRecord): string {
  let line = String(record.epoch).padStart(5) + String(record.iterations).padStart(8);
  for (const [name] of SETS) {
    const e = record[name];
    // A regression's early losses can reach the hundreds: keep them to the column's width.
    const loss = e ? (e.loss < 100 ? e.loss.toFixed(4) : e.loss.toPrecision(6)) : '';
    if (e) line += (e.accuracy ?? e.r2 ?? NaN).toFixed(4).padStart(ACC_WIDTH) + loss.padStart(LOSS_WIDTH);
  }
  return line + `${record.elapsed.toFixed(1)} s`.padStart(TIME_WIDTH);
}

/** 75 s -> "1:15", 3725 s -> "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, String(s % 60).padStart(2, '0')];
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * The bar's text: done/total, the last loss, the rate over the run so far (evaluations
 * included, so the time left is what the user will wait) and that time left. `start` is the
 * iteration the run began at (a resumed run's steps before it took no time here).
 */
export function formatProgress(done: number, total: number, loss: number, seconds: number, width = 24, start = 0): string {
  const filled = Math.min(width, Math.round((done / total) * width));
  const rate = seconds > 0 ? (done - start) / seconds : 0;
  const left = rate > 0 ? formatDuration((total - done) / rate) : '?';
  const rateText = rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} loss ${loss.toFixed(4)} ` +
    `${rateText} it/s ETA ${left}`;
}

/** A one-line bar on stderr, redrawn at most every 100 ms so it costs the loop nothing. */
export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr) {
  let lastDraw = 0;
  let start: number | undefined;
  const started = performance.now();
  return {
    step(iteration: number, loss: number) {
      start ??= iteration - 1;
      if (iteration % 20 !== 0 && iteration !== total) return;
      const now = performance.now();
      if (now - lastDraw < 100 && iteration !== total) return;
      lastDraw = now;
      stream.write(`\r${formatProgress(iteration, total, loss, (now - started) / 1000, 24, start)}\x1b[K`);
    },
    clear() {
      stream.write('\r\x1b[K');
    },
  };
}

/** "wrote out/: a, b, c" for files in one folder, wrapped to 80 columns. */
export function formatWritten(dir: string, files: string[]): string {
  const lines = [`wrote ${dir}/:`];
  for (const file of files) {
    if (lines[lines.length - 1].length + 1 + file.length > 79) lines.push(' ');
    lines[lines.length - 1] += ` ${file}`;
  }
  return lines.join('\n');
}

/**
 * A closed stdout or stderr (`simdnet train | head`) ends the process quietly with the status a
 * shell gives a process killed by SIGPIPE (128 + 13), instead of an unhandled EPIPE stack trace.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(141);
      throw error;
    });
  }
}

/** "1 thread", "2 threads": what a run's banner says of its runtime. */
export function threadsText(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}
