// The timing the sections measured on a shared machine use: every task sampled in interleaved
// rounds, keeping each one's best sample (the minimum is the least disturbed by other processes).

/** Best microseconds per call of each task, sampled in interleaved rounds. */
export function bestOf(tasks: Record<string, () => void>, rounds: number): Record<string, number> {
  const names = Object.keys(tasks);
  const calls: Record<string, number> = {};
  for (const name of names) {
    // About 2 ms per sample.
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 2) { tasks[name](); n++; }
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
