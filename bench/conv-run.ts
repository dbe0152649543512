// `npm run bench:conv [-- --quick]`: only the convolution measurements of the full benchmark
// (bench/conv.ts). Rewrites the conv section
// of bench/RESULTS.md and the `conv` entry of bench/results.json, leaving the rest as the last
// full run wrote it.
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, loadMnist } from 'simdnet';
import { benchConv, renderConvMarkdown } from './conv.js';
import { initTfjs } from './peers.js';
import { rewriteEntry } from './report.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const quick = process.argv.includes('--quick');
const runtimes = { simd: await createRuntime('simd'), 'relaxed-simd': await createRuntime('relaxed-simd') };
const peers = await initTfjs();
const conv = await benchConv(runtimes, await loadMnist(), quick);
const command = `npm run bench:conv${quick ? ' -- --quick' : ''}`;
const context = `Command: \`${command}\` (${new Date().toISOString()}), one core of ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${peers}.`;
const entry = { command, context, ...conv };
await rewriteEntry(outDir, 'conv', entry, renderConvMarkdown(entry, context));
