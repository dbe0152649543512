// `npm run bench:conv [-- --quick]`: only the convolution measurements of the full benchmark
// (bench/conv.ts). Rewrites the conv section
// of bench/RESULTS.md and the `conv` entry of bench/results.json, leaving the rest as the last
// full run wrote it.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, loadMnist, writeFileAtomic } from 'simdnet';
import { benchConv, renderConvMarkdown } from './conv.js';
import { initTfjs } from './peers.js';
import { replaceSection, type Results } from './report.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const quick = process.argv.includes('--quick');
const runtimes = { simd: await createRuntime('simd'), 'relaxed-simd': await createRuntime('relaxed-simd') };
const peers = await initTfjs();
const conv = await benchConv(runtimes, await loadMnist(), quick);
const command = `npm run bench:conv${quick ? ' -- --quick' : ''}`;
const context = `Command: \`${command}\` (${new Date().toISOString()}), one core of ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${peers}.`;
const resultsPath = join(outDir, 'results.json');
const results = JSON.parse(await readFile(resultsPath, 'utf8')) as Results;
results.conv = { command, context, ...conv };
await writeFileAtomic(resultsPath, JSON.stringify(results, null, 1) + '\n');
const markdownPath = join(outDir, 'RESULTS.md');
await writeFileAtomic(markdownPath, replaceSection(await readFile(markdownPath, 'utf8'), 'conv', renderConvMarkdown(results.conv, context)));
console.log('wrote the conv section of bench/RESULTS.md and bench/results.json');
