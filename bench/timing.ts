// The timing the sections measured on a shared machine use: every task sampled in interleaved
// rounds, keeping each one's best sample (the minimum is the least disturbed by other processes).

/**
 * Best microseconds per call of each task, sampled in interleaved rounds of about `sampleMs` per
 * sample (at least one call). Short samples catch more of a shared core's quiet moments; the
 * kernels take 0.2 ms, as short as the timer (1 µs steps) keeps within 1%.
 */
export function bestOf(tasks: Record<string, () => void>, rounds: number, sampleMs = 2): Record<string, number> {
  const names = Object.keys(tasks);
  const calls: Record<string, number> = {};
  for (const name of names) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < sampleMs) { tasks[name](); n++; }
    calls[name] = Math.max(1, n);
  }
  const best: Record<string, number> = Object.fromEntries(names.map((name) => [name, Infinity]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const fn = tasks[name];
      const t0 = performance.now();
      for (let c = 0; c < calls[name]; c++) fn();
      best[name] = Math.min(best[name], ((performance.now() - t0) * 1000) / calls[name]);
    }
  }
  return best;
}
