// `npm run bench:sparse [-- --quick]`: only the dense-vs-sparse first-layer measurements of the
// full benchmark (bench/sparse.ts). Rewrites the sparse section of bench/RESULTS.md and the
// `sparse` entry of bench/results.json, leaving the rest as the last full run wrote it.
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, loadMnist } from 'simdnet';
import { rewriteEntry } from './report.js';
import { benchSparse, renderSparseMarkdown } from './sparse.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const quick = process.argv.includes('--quick');
const runtimes = { simd: await createRuntime('simd'), 'relaxed-simd': await createRuntime('relaxed-simd') };
// The machine's 1-minute load average before and after: on a shared machine it says how much
// other work the samples competed with.
const loadBefore = loadavg()[0];
const sparse = await benchSparse(runtimes, await loadMnist(), quick);
const command = `npm run bench:sparse${quick ? ' -- --quick' : ''}`;
const load = `load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
const context = `Command: \`${command}\` (${new Date().toISOString()}), one core of ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${load}.`;
const entry = { command, context, ...sparse };
await rewriteEntry(outDir, 'sparse', entry, renderSparseMarkdown(entry, context));
