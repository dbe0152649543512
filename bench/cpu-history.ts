// bench/cpus.json: one record per CPU, Node major (its V8 decides what the kernels compile to)
// and V8 mode that `npm run bench:kernels` has run on, kept across runs, so the history shows
// whether the kernels hold at the ceiling on Intel and AMD alike. A run of other kernels (their
// binaries' hash differs) replaces its record; a run of the same kernels joins it, each figure
// the best of both: on a shared core one run can fall wholly in a busy minute (AMD EPYC under
// KVM: the forward product on Node 24, run to run, 66–84% of peak), and the best is what the
// kernels can do.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from 'simdnet';
import { againstPeaks, BUILDS, type ActivationRow, type KernelRow, type Peak } from './kernels.js';

export interface CpuRecord {
  cpu: string;
  /** "family F model M" from /proc/cpuinfo; absent from the records of runs before it was recorded. */
  cpuid?: string;
  flags: string;
  /** 'default', or 'revectorize' for a run under SIMDNET_REVECTORIZE=1. */
  mode: string;
  node: string;
  date: string;
  command: string;
  peaks: Record<string, Peak>;
  kernels: KernelRow[];
  /** Absent from the records of runs before it was measured. */
  activations?: ActivationRow[];
  /** sha256 of the benched builds' .wasm (bench/kernels.ts kernelsHash); absent from records before it was kept. */
  wasm?: string;
  /** How many runs of these kernels the record holds the best of (absent: one). */
  runs?: number;
}

export async function recordCpu(path: string, record: CpuRecord): Promise<CpuRecord[]> {
  let records: CpuRecord[] = [];
  try {
    records = JSON.parse(await readFile(path, 'utf8')) as CpuRecord[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const major = (node: string) => node.split('.')[0];
  // A record without cpuid (written before it was recorded) is replaced by its CPU name's next run.
  const sameCpu = (r: CpuRecord) => r.cpu === record.cpu && (r.cpuid ?? record.cpuid) === record.cpuid && r.flags === record.flags;
  const same = (r: CpuRecord) => sameCpu(r) && r.mode === record.mode && major(r.node) === major(record.node);
  const previous = records.find(same);
  records = records.filter((r) => !same(r));
  records.push(previous && record.wasm !== undefined && previous.wasm === record.wasm ? joinRuns(previous, record) : record);
  records.sort((a, b) => a.cpu.localeCompare(b.cpu) || (a.cpuid ?? '').localeCompare(b.cpuid ?? '') || a.node.localeCompare(b.node, 'en', { numeric: true }) || a.mode.localeCompare(b.mode));
  await writeFileAtomic(path, JSON.stringify(records, null, 1) + '\n');
  return records;
}

/** Two runs of the same kernels as one record: each GFLOP/s and peak the higher, each µs the lower. */
function joinRuns(previous: CpuRecord, record: CpuRecord): CpuRecord {
  const peaks = structuredClone(record.peaks);
  for (const build of BUILDS) {
    peaks[build].chained = Math.max(peaks[build].chained, previous.peaks[build].chained);
    peaks[build].accumulate = Math.max(peaks[build].accumulate, previous.peaks[build].accumulate);
  }
  const kernels = structuredClone(record.kernels);
  for (const row of kernels) {
    const before = previous.kernels.find((r) => r.shape === row.shape);
    for (const build of BUILDS) {
      for (const tile of Object.keys(row.gflopsByTile[build])) {
        row.gflopsByTile[build][Number(tile)] = Math.max(row.gflopsByTile[build][Number(tile)], before?.gflopsByTile[build][Number(tile)] ?? 0);
      }
      if (row.gflopsPacked) row.gflopsPacked[build] = Math.max(row.gflopsPacked[build], before?.gflopsPacked?.[build] ?? 0);
    }
  }
  againstPeaks(kernels, peaks);
  const activations = record.activations?.map((row) => {
    const before = previous.activations?.find((r) => r.kernel === row.kernel);
    return { kernel: row.kernel, us: Object.fromEntries(BUILDS.map((build) => [build, Math.min(row.us[build], before?.us[build] ?? Infinity)])) as ActivationRow['us'] };
  });
  return { ...record, peaks, kernels, activations, runs: (previous.runs ?? 1) + 1 };
}

const pct = (v: number) => `${v.toFixed(0)}%`;

/** The table by CPU: the three headline products, and the range over the deeper network's. */
export function renderCpuTable(records: CpuRecord[]): string {
  const lines = [
    '## Kernels by CPU (% of the build\'s peak, best of interleaved rounds)', '',
    'Written by `npm run bench:kernels` (one record per CPU in bench/cpus.json). The peak is the best of the register-only madd loops (and of the products, where one ran faster). The deeper shapes are the 784-128-256-10 network\'s forward and weight-gradient products at batch 64 and 128. The last column: sigmoid and tanh forward over one 100×100 hidden layer, µs (– where a record predates it).', '',
    '| CPU | flags | V8 mode | Node | date | build | tiles NN / TN | peak GFLOP/s | forward 100×784×100 | weight gradient 784×100×100 | evaluation 10000×784×100 | deeper shapes | sigmoid / tanh µs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of records) {
    for (const build of ['relaxed-simd', 'simd']) {
      const headline = r.kernels.filter((k) => k.headline).map((k) => pct(k.percentOfPeak[build as 'simd']));
      const deeper = r.kernels.filter((k) => !k.headline).map((k) => k.percentOfPeak[build as 'simd']);
      lines.push(`| ${r.cpu}${r.cpuid ? ` (${r.cpuid})` : ''} | ${r.flags} | ${r.mode} | ${r.node} | ${r.date.slice(0, 10)}${r.runs ? ` (best of ${r.runs} runs)` : ''} | ${build} | ${tilesOf(r.kernels, build as 'simd')} | ${r.peaks[build].peak.toFixed(1)} | ${headline.join(' | ')} | ${pct(Math.min(...deeper))}–${pct(Math.max(...deeper))} | ${activationsOf(r, build as 'simd')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

export function renderKernelRows(rows: KernelRow[], context: string): string {
  const lines = [
    '## Dense products against the peak', '', context,
    `The runtime chose (src/gemm-tile.ts): ${chosenTiles(rows)}. The % columns after the chosen one show each tile the layout can run unpacked (5×8 needs the weight gradient's adjacent rows), then packed: A's row blocks copied first (assembly/gemm.ts, APACK; transposed for NN, which then runs the adjacent tile; for 64 columns or more, and for TN only where a sweep spans 256 KB: – where it does not apply).`, '',
    '| product | layout | relaxed SIMD GFLOP/s | % of peak | 6×8 / 5×8 / 4×8 | packed | SIMD GFLOP/s | % of peak | 6×8 / 5×8 / 4×8 | packed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const all = (build: 'simd' | 'relaxed-simd') => [6, 5, 4].map((tile) => (tile in r.byTile[build] ? pct(r.byTile[build][tile]) : '–')).join(' / ');
    const packed = (build: 'simd' | 'relaxed-simd') => (r.packed ? pct(r.packed[build]) : '–');
    lines.push(`| ${r.shape} | ${r.layout} | ${r.gflops['relaxed-simd'].toFixed(1)} | ${pct(r.percentOfPeak['relaxed-simd'])} | ${all('relaxed-simd')} | ${packed('relaxed-simd')} | ${r.gflops.simd.toFixed(1)} | ${pct(r.percentOfPeak.simd)} | ${all('simd')} | ${packed('simd')} |`);
  }
  return lines.join('\n') + '\n';
}

/** "sigmoid / tanh" forward µs of one build, or – for a record without them. */
function activationsOf(record: CpuRecord, build: 'simd' | 'relaxed-simd'): string {
  const us = (kernel: string) => record.activations?.find((row) => row.kernel === kernel)?.us[build];
  const [sigmoid, tanh] = [us('sigmoidForward'), us('tanhForward')];
  return sigmoid === undefined || tanh === undefined ? '–' : `${sigmoid.toFixed(1)} / ${tanh.toFixed(1)}`;
}

/** "forward (NN) / weight gradient (TN)" tiles of one build, from the first row of each layout. */
function tilesOf(rows: KernelRow[], build: 'simd' | 'relaxed-simd'): string {
  return ['NN', 'TN'].map((layout) => rows.find((r) => r.layout === layout)).map((row) => `${row?.tileRows[build]}×8${row?.packs?.[build] ? ' packed' : ''}`).join(' / ');
}

function chosenTiles(rows: KernelRow[]): string {
  return `relaxed SIMD ${tilesOf(rows, 'relaxed-simd')}, SIMD ${tilesOf(rows, 'simd')} (NN / TN)`;
}
