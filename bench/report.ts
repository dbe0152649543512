// The benchmark's results as data (results.json) and as the table people read (RESULTS.md).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from 'simdnet';
import { renderConvMarkdown, type ConvResults } from './conv.js';
import type { NumericalTrainingResult } from './numerical-training.js';
import { renderCpuTable, renderKernelRows, type CpuRecord } from './cpu-history.js';
import type { KernelRow } from './kernels.js';
import { renderSparseMarkdown, type SparseResults } from './sparse.js';

export interface Results {
  machine: { cpu: string; cores: number; arch: string; node: string; v8: string; peers: string };
  command: string;
  date: string;
  peaks: Record<string, { chained: number; accumulate: number; peak: number }>;
  gemm: {
    shape: string; layout: string; m: number; n: number; k: number;
    ms: Record<string, number>; gflops: Record<string, number>; percentOfPeak: Record<string, number>;
  }[];
  trainStep: { network: string; batch: number; ms: Record<string, number>; gflops: Record<string, number> }[];
  stepProfile: { part: string; us: number }[];
  scaling: { batch: number; hidden: number; ms: number; gflops: number }[];
  numericalGradient: { parameters: number; batch: number; seconds: number };
  numericalTraining: NumericalTrainingResult;
  heap: { steps: number; gcExposed: boolean; runs: number[]; bytesPerStep: number; wasmMemoryGrowthBytes: number };
  protocol: {
    build: string; firstLayer: string; iterations: number; evaluations: number; seconds: number; msPerIteration: number;
    trainAccuracy: number; testAccuracy: number;
  }[];
  /** Written by the full run or by `npm run bench:sparse` alone (which says so in `context`). */
  sparse?: SparseResults & { command: string; context: string };
  /** Written by the full run or by `npm run bench:conv` alone (which says so in `context`). */
  conv?: ConvResults & { command: string; context: string };
  /** The dense products against the peak, and every CPU's record so far (bench/cpus.json). */
  kernels?: { rows: KernelRow[]; context: string };
  cpus?: CpuRecord[];
}

const f1 = (v: number) => v.toFixed(1);
const f3 = (v: number) => v.toFixed(3);

export function renderMarkdown(r: Results): string {
  const lines: string[] = [];
  lines.push('# simdnet benchmark results', '');
  lines.push(`Command: \`${r.command}\` (${r.date}). One core of ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.arch}), Node ${r.machine.node}, V8 ${r.machine.v8}. Peer: ${r.machine.peers}. Medians of tinybench samples, all measured side by side in one process.`, '');

  lines.push('## Peak (register-only wasm loops)', '');
  lines.push('| build | chained madd | accumulating madd | peak used below |', '| --- | --- | --- | --- |');
  for (const [build, p] of Object.entries(r.peaks)) lines.push(`| ${build} | ${f1(p.chained)} GFLOP/s | ${f1(p.accumulate)} GFLOP/s | ${f1(p.peak)} GFLOP/s |`);

  lines.push('', '## GEMM (GFLOP/s; % of the build\'s peak)', '');
  lines.push('| product | layout | simdnet relaxed SIMD | simdnet SIMD | tfjs wasm | naive TS | relaxed vs tfjs |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const g of r.gemm) {
    lines.push(`| ${g.shape} | ${g.layout} | ${f1(g.gflops['relaxed-simd'])} (${g.percentOfPeak['relaxed-simd'].toFixed(0)}%) | ${f1(g.gflops.simd)} (${g.percentOfPeak.simd.toFixed(0)}%) | ${f1(g.gflops.tfjs)} | ${f1(g.gflops.naive)} | ${(g.gflops['relaxed-simd'] / g.gflops.tfjs).toFixed(1)}× |`);
  }

  lines.push('', '## Training step, batch 100 (ms/iteration)', '');
  lines.push('| network | simdnet relaxed SIMD | simdnet SIMD | tfjs wasm (variables + minimize) | speed-up vs tfjs |', '| --- | --- | --- | --- | --- |');
  for (const t of r.trainStep) {
    lines.push(`| ${t.network} | ${f3(t.ms['relaxed-simd'])} (${f1(t.gflops['relaxed-simd'])} GFLOP/s) | ${f3(t.ms.simd)} | ${f3(t.ms.tfjs)} | ${(t.ms.tfjs / t.ms['relaxed-simd']).toFixed(1)}× |`);
  }

  lines.push('', '## Where a step goes (784-100-10 sigmoid, batch 100, relaxed SIMD; each kernel timed alone)', '');
  lines.push('| part | µs |', '| --- | --- |');
  for (const p of r.stepProfile) lines.push(`| ${p.part} | ${p.us.toFixed(1)} |`);
  lines.push(`| sum | ${r.stepProfile.reduce((sum, p) => sum + p.us, 0).toFixed(1)} |`);

  lines.push('', '## Scaling (784-H-10 sigmoid, relaxed SIMD)', '', '![scaling](scaling.svg)', '');
  lines.push('| batch | hidden | ms/iteration | GFLOP/s |', '| --- | --- | --- | --- |');
  for (const s of r.scaling) lines.push(`| ${s.batch} | ${s.hidden} | ${f3(s.ms)} | ${f1(s.gflops)} |`);

  lines.push('', '## The classic protocol end to end (784-100-10 sigmoid, lr 0.1, batch 100, 10000 iterations, 17 evaluations of 70000 images)', '');
  lines.push('| build | first layer | iterations | evaluations | seconds | ms/iteration (steps) | train acc | test acc |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const p of r.protocol) {
    lines.push(`| ${p.build} | ${p.firstLayer} | ${p.iterations} | ${p.evaluations} | ${p.seconds.toFixed(2)} | ${f3(p.msPerIteration)} | ${(100 * p.trainAccuracy).toFixed(2)}% | ${(100 * p.testAccuracy).toFixed(2)}% |`);
  }

  lines.push('', '## Other', '');
  lines.push(`- Full numerical gradient of 784-100-10 (${r.numericalGradient.parameters} entries, batch ${r.numericalGradient.batch}): ${f3(r.numericalGradient.seconds)} s.`);
  const n = r.numericalTraining;
  lines.push(`- Training by the numerical gradient, ${n.network}, batch ${n.batch}, relaxed SIMD: ${f1(n.numericalMsPerStep)} ms per step (mean of ${n.numericalSteps}) against ${f3(n.backpropMsPerStep)} ms by backprop (mean of ${n.backpropSteps}), ${n.ratio.toFixed(0)}× slower.`);
  lines.push(`- JS heap growth without GC over three runs of ${r.heap.steps} training steps: ${r.heap.runs.join(', ')} bytes; the steady state is ${r.heap.bytesPerStep.toFixed(2)} bytes per step${r.heap.gcExposed ? '' : ' (gc not exposed)'}. Wasm memory grew ${r.heap.wasmMemoryGrowthBytes} bytes.`);
  if (r.kernels) lines.push('', section('kernels', renderKernelRows(r.kernels.rows, r.kernels.context)));
  if (r.cpus) lines.push('', section('cpus', renderCpuTable(r.cpus)));
  if (r.sparse) lines.push('', sparseSection(r.sparse));
  if (r.conv) lines.push('', convSection(r.conv));
  return lines.join('\n') + '\n';
}

/**
 * The sections a script of their own rewrites in place (npm run bench:sparse, bench:conv,
 * bench:kernels, which writes both 'kernels' and 'cpus'): each sits between two markers, so
 * RESULTS.md can have one replaced and the rest kept.
 */
type SectionName = 'sparse' | 'conv' | 'kernels' | 'cpus';
const begin = (name: SectionName) => `<!-- ${name}: written by npm run bench:${name === 'cpus' ? 'kernels' : name} -->`;
const end = (name: SectionName) => `<!-- end ${name} -->`;

export function section(name: SectionName, body: string): string {
  return `${begin(name)}\n${body}${end(name)}`;
}

const sparseSection = (sparse: NonNullable<Results['sparse']>) => section('sparse', renderSparseMarkdown(sparse, sparse.context));
const convSection = (conv: NonNullable<Results['conv']>) => section('conv', renderConvMarkdown(conv, conv.context));

/**
 * What `npm run bench:sparse` and `bench:conv` write: their entry of results.json and their
 * section of RESULTS.md (`body`), both in `dir`, the rest kept as the last full run wrote it.
 */
export async function rewriteEntry<N extends 'sparse' | 'conv'>(dir: string, name: N, entry: NonNullable<Results[N]>, body: string): Promise<void> {
  const resultsPath = join(dir, 'results.json');
  const results = JSON.parse(await readFile(resultsPath, 'utf8')) as Results;
  results[name] = entry;
  await writeFileAtomic(resultsPath, JSON.stringify(results, null, 1) + '\n');
  const markdownPath = join(dir, 'RESULTS.md');
  await writeFileAtomic(markdownPath, replaceSection(await readFile(markdownPath, 'utf8'), name, body));
  console.log(`wrote the ${name} section of bench/RESULTS.md and bench/results.json`);
}

/** RESULTS.md with section `name` replaced by `body` (or appended). */
export function replaceSection(markdown: string, name: SectionName, body: string): string {
  const from = markdown.indexOf(begin(name));
  const to = markdown.indexOf(end(name));
  if (from < 0 || to < from) return `${markdown.trimEnd()}\n\n${section(name, body)}\n`;
  return markdown.slice(0, from) + section(name, body) + markdown.slice(to + end(name).length);
}
