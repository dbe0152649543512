#!/usr/bin/env node
// Mutation testing of the AssemblyScript kernels: npm run test:mutation:kernels [-- files…]
// (default: every kernel file of assembly/).
//
// StrykerJS cannot run these itself: it places every mutant in the code at once behind
// JavaScript switches evaluated at run time, and assembly/ is compiled to wasm by asc, which
// accepts none of that. So this script asks Stryker's own instrumenter for the same mutants
// (the same mutators and the same count as a Stryker run would report), then tests them one at
// a time in a sandbox copy of the project: apply one mutant to the source text, recompile the
// plain-SIMD build with asc, run the mutation suite (vitest.mutation.config.ts) until its first
// failure, restore the file. A mutant the compiler rejects is a compile error and does not
// count, as in Stryker; one that makes the suite run past its time limit counts as killed
// (timeout).
//
// Writes reports/mutation/kernels.json (after every mutant, so a run stopped midway keeps what
// it measured) and prints the score per file and every survivor. DEBUG_MUTANTS=1 also prints
// the compiler's message for each compile error.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const root = resolve(import.meta.dirname, '..');
// Every kernel file of assembly/, except index.ts, which only re-exports, and peak.ts, the
// benchmark's register-only loop, which no result depends on.
const DEFAULT_FILES = readdirSync(join(root, 'assembly'), { recursive: true })
  .filter((name) => name.endsWith('.ts') && name !== 'index.ts' && name !== 'peak.ts')
  .sort()
  .map((name) => `assembly/${name}`);
const files = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_FILES;

// ---- The mutants, from Stryker's instrumenter -------------------------------------------------
// Babel (the instrumenter's parser) rejects decorators on functions, which AssemblyScript uses
// (@inline): they are blanked to spaces of the same length, so every position stays the same.
// Parentheses are kept as nodes: by default Babel drops them and re-adds only those its printer
// thinks necessary, which loses the ones around a type assertion's operand (`<usize>(a & b)`
// would come back as `<usize> a & b`, a different expression).
const instrumenterRequire = createRequire(createRequire(import.meta.url).resolve('@stryker-mutator/instrumenter'));
const babelParser = instrumenterRequire('@babel/parser');
const DECORATOR = /@(inline|lazy|global|unmanaged|final|external|operator[.\w]*)\b/g;
const quiet = () => false;
const logger = {
  isTraceEnabled: quiet, isDebugEnabled: quiet, isInfoEnabled: quiet, isWarnEnabled: () => true, isErrorEnabled: () => true, isFatalEnabled: () => true,
  trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, fatal: console.error,
};
const parseAssemblyScript = () => async (code, fileName) => ({
  originFileName: fileName,
  rawContent: code,
  format: 'ts',
  root: babelParser.parse(code, {
    sourceType: 'module', plugins: ['typescript'], ranges: true, createParenthesizedExpressions: true, sourceFilename: fileName,
  }),
});

async function mutantsOf(file) {
  const content = await readFile(join(root, file), 'utf8');
  const blanked = content.replace(DECORATOR, (match) => ' '.repeat(match.length));
  const { mutants } = await new Instrumenter(logger, parseAssemblyScript).instrument(
    [{ name: join(root, file), content: blanked, mutate: true }],
    { plugins: null, ignorers: [], excludedMutations: [], noHeader: true },
  );
  return { content, mutants };
}

/** Offset in `text` of a mutant's location (Stryker's: 0-based line and column). */
function offsetOf(text, { line, column }) {
  let offset = 0;
  for (let l = 0; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + column;
}

// ---- Running things ---------------------------------------------------------------------------
// Each command runs in its own process group, so that a timeout (or this script being stopped)
// ends it with everything it started.
let running;
function run(command, args, cwd, timeoutMs = Infinity) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => { timedOut = true; process.kill(-child.pid, 'SIGKILL'); }, timeoutMs)
      : undefined;
    let timedOut = false;
    child.on('close', (code) => {
      clearTimeout(timer);
      running = undefined;
      done({ code, timedOut, output });
    });
  });
}

const node = process.execPath;
const asc = (sandbox) => run(node, [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--target', 'release'], sandbox);
const suite = (sandbox, timeoutMs) => run(
  node, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.mutation.config.ts', '--bail', '1', '--maxWorkers', '1', '--reporter', 'dot'],
  sandbox, timeoutMs,
);

// ---- Report ----------------------------------------------------------------------------------
const results = [];
const reportFile = join(root, 'reports', 'mutation', 'kernels.json');
async function writeReport(complete) {
  const summary = {};
  for (const { file, status } of results) {
    summary[file] ??= { Killed: 0, Timeout: 0, Survived: 0, CompileError: 0 };
    summary[file][status]++;
  }
  const total = { Killed: 0, Timeout: 0, Survived: 0, CompileError: 0 };
  for (const counts of Object.values(summary)) for (const key of Object.keys(total)) total[key] += counts[key];
  await mkdir(dirname(reportFile), { recursive: true });
  await writeFile(reportFile, JSON.stringify({
    date: new Date().toISOString(), complete, files, cpu: cpus()[0].model, node: process.version,
    minutes: Number(((Date.now() - started) / 60000).toFixed(1)), summary, total, results,
  }, null, 2));
  return { summary, total };
}

// ---- Main -----------------------------------------------------------------------------------
// Not inside Stryker's own .stryker-tmp, which a Stryker run of src/ empties when it ends.
const sandbox = join(root, '.stryker-tmp-kernels', `kernels-${process.pid}`);
await mkdir(sandbox, { recursive: true });
// The whole project (tests read README.md, scripts/, demo/…) but for what is not source.
const NOT_COPIED = new Set(['.git', 'node_modules', '.stryker-tmp', '.stryker-tmp-kernels', 'reports']);
for (const entry of readdirSync(root)) {
  if (!NOT_COPIED.has(entry)) await cp(join(root, entry), join(sandbox, entry), { recursive: true });
}
await symlink(join(root, 'node_modules'), join(sandbox, 'node_modules'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (running) process.kill(-running.pid, 'SIGKILL');
    rmSync(sandbox, { recursive: true, force: true });
    process.exit(130);
  });
}

const started = Date.now();
const built = await asc(sandbox);
if (built.code !== 0) throw new Error(`the unmutated kernels do not compile:\n${built.output}`);
const baselineStart = Date.now();
const baseline = await suite(sandbox);
if (baseline.code !== 0) throw new Error(`the suite fails without any mutant:\n${baseline.output}`);
// A mutant may loop forever: give the suite three times its normal time, plus a minute.
const timeoutMs = 3 * (Date.now() - baselineStart) + 60_000;
console.log(`baseline: suite passes in ${((Date.now() - baselineStart) / 1000).toFixed(1)} s; time limit per mutant ${(timeoutMs / 1000).toFixed(0)} s`);

for (const file of files) {
  const { content, mutants } = await mutantsOf(file);
  console.log(`${file}: ${mutants.length} mutants`);
  for (const [index, mutant] of mutants.entries()) {
    const start = offsetOf(content, mutant.location.start);
    const end = offsetOf(content, mutant.location.end);
    const original = content.slice(start, end);
    await writeFile(join(sandbox, file), content.slice(0, start) + mutant.replacement + content.slice(end));
    let status;
    const compiled = await asc(sandbox);
    if (compiled.code !== 0) {
      status = 'CompileError';
      if (process.env.DEBUG_MUTANTS) console.log(compiled.output);
    } else {
      const tested = await suite(sandbox, timeoutMs);
      status = tested.timedOut ? 'Timeout' : tested.code === 0 ? 'Survived' : 'Killed';
    }
    const where = `${file}:${mutant.location.start.line + 1}:${mutant.location.start.column + 1}`;
    results.push({ file, line: mutant.location.start.line + 1, column: mutant.location.start.column + 1, mutator: mutant.mutatorName, original, replacement: mutant.replacement, status });
    console.log(`[${index + 1}/${mutants.length}] ${status.padEnd(12)} ${where} ${mutant.mutatorName}`);
    await writeReport(false); // after every mutant: a long run stopped midway keeps its results
  }
  await writeFile(join(sandbox, file), content);
}
await rm(sandbox, { recursive: true, force: true });

const { summary, total } = await writeReport(true);
const score = ({ Killed, Timeout, Survived }) => (100 * (Killed + Timeout)) / Math.max(1, Killed + Timeout + Survived);
console.log('\nfile | score | killed | timeout | survived | compile errors');
for (const [file, s] of Object.entries({ ...summary, 'all files': total })) {
  console.log(`${file} | ${score(s).toFixed(2)}% | ${s.Killed} | ${s.Timeout} | ${s.Survived} | ${s.CompileError}`);
}
console.log('\nsurvivors:');
for (const r of results.filter((r) => r.status === 'Survived')) {
  console.log(`${r.file}:${r.line}:${r.column} ${r.mutator}: ${r.original.replace(/\s+/g, ' ')}  →  ${r.replacement.replace(/\s+/g, ' ')}`);
}
console.log(`\n${results.length} mutants in ${((Date.now() - started) / 60000).toFixed(1)} min (${cpus()[0].model}, node ${process.version})`);
console.log('written: reports/mutation/kernels.json');
