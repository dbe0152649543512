// `npm run bench:kernels`: the dense products against the peak on both builds (bench/kernels.ts)
// and the activation kernels' times, alone (about a minute and a half). Records this CPU in
// bench/cpus.json and rewrites the kernels section of bench/RESULTS.md, leaving the rest as the
// last full run wrote it.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, writeFileAtomic } from 'simdnet';
import { recordCpu, renderCpuTable, renderKernelRows } from './cpu-history.js';
import { benchActivations, benchKernels, BUILDS, cpuDescription, cpuLabel, KERNEL_ROUNDS, kernelsHash, measurePeak } from './kernels.js';
import { replaceSection } from './report.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const rounds = process.argv.includes('--quick') ? KERNEL_ROUNDS.quick : KERNEL_ROUNDS.full;
const runtimes = { simd: await createRuntime('simd'), 'relaxed-simd': await createRuntime('relaxed-simd') };
const peaks = { simd: measurePeak(runtimes.simd), 'relaxed-simd': measurePeak(runtimes['relaxed-simd']) };
console.log(`peak: ${BUILDS.map((b) => `${b} ${peaks[b].peak.toFixed(1)} GFLOP/s`).join(', ')}`);
const kernels = benchKernels(runtimes, peaks, rounds);
const activations = benchActivations(runtimes, rounds);
const cpu = cpuDescription();
const mode = process.env.SIMDNET_REVECTORIZE === '1' ? 'revectorize' : 'default';
const command = `${mode === 'revectorize' ? 'SIMDNET_REVECTORIZE=1 ' : ''}npm run bench:kernels`;
const date = new Date().toISOString();
const records = await recordCpu(join(outDir, 'cpus.json'), { cpu: cpu.model, cpuid: cpu.cpuid, flags: cpu.flags, mode, node: process.version, date, command, peaks, kernels, activations, wasm: kernelsHash() });
const context = `Command: \`${command}\` (${date}), one core of ${cpuLabel(cpu)}, Node ${process.version}, best of ${rounds} interleaved rounds per product.`;
const markdownPath = join(outDir, 'RESULTS.md');
let markdown = await readFile(markdownPath, 'utf8');
markdown = replaceSection(markdown, 'kernels', renderKernelRows(kernels, context));
markdown = replaceSection(markdown, 'cpus', renderCpuTable(records));
await writeFileAtomic(markdownPath, markdown);
console.log('wrote bench/cpus.json and the kernels sections of bench/RESULTS.md');
