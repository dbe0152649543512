#!/usr/bin/env node
// Mutation testing of the AssemblyScript kernels:
//   npm run test:mutation:kernels [-- [--jobs N] [files…]]   measure the mutants not yet recorded
//   npm run test:mutation:kernels -- --report [files…]       print the scores from the record
//   npm run test:mutation:kernels -- --retest-survivors [files…]  measure the recorded survivors
//                                                             again (after new tests), and the rest
// (default: every kernel file of assembly/; a file as assembly/x.ts:12-30 measures only the
// mutants that start on those lines).
//
// StrykerJS cannot run these itself: it places every mutant in the code at once behind
// JavaScript switches evaluated at run time, and assembly/ is compiled to wasm by asc, which
// accepts none of that. So this script asks Stryker's own instrumenter for the same mutants
// (the same mutators and the same count as a Stryker run would report), then tests them one at
// a time in a sandbox copy of the project: apply one mutant to the source text, rebuild the
// two plain-SIMD kernel files the mutation suite loads (simd.wasm, and simd-threads.wasm for
// its runtimes of several threads; scripts/kernel-build-worker.mjs), run the mutation suite
// (vitest.mutation-kernels.config.ts) until its first failure, restore the file. The suite
// runs the test files that killed this file's earlier mutants first, then those that killed
// any kernel's, then the rest, fastest first: a mutant is Killed when any test fails and
// Survived only when every file of the suite has passed. A mutant the compiler rejects is a
// compile error and does not count, as in Stryker; one that makes the suite run past its time
// limit counts as killed (timeout).
//
// As Stryker does by default (coverage analysis "perTest"), a mutant runs only the test files
// that run the function it is in: before the mutants, a coverage build (every function of
// assembly/ instrumented to set a byte of its own when it runs) runs each test file alone,
// and scripts/kernel-coverage-hook.mjs, loaded into every process of those runs (the test
// files' CLI children and thread workers too), notes which bytes were set. A mutant outside
// every function (a constant, a declaration's initializer) runs every file; one in a function
// no test file runs is NoCoverage without running any, and counts as not killed, as in Stryker.
//
// Where the compiler's output is byte for byte the unmutated one's, no test can tell the
// mutant apart ("trivial compiler equivalence"): when both plain-SIMD files are unchanged, the
// two relaxed-SIMD files are built too. If they are unchanged as well, the mutant is Equivalent
// without running any test, and does not count (like a compile error). If only they changed
// (code behind ASC_FEATURE_RELAXED_SIMD), the suite runs on the relaxed-SIMD build instead.
//
// The record, test/mutation/kernels-record.json (committed, like REPORT.md), keeps each
// measured mutant's outcome, keyed by the text of the top-level declaration it is in (a
// sha256 of it, with the declaration's decorators) and its span there: a run measures only
// the mutants the record lacks, so a long measurement can be spread over many runs, and an
// edit elsewhere in a file (another function, a comment between functions) keeps the results
// of the declarations it did not touch. It is written after every mutant. --jobs N tests N
// mutants at a time, each in its own sandbox.
// DEBUG_MUTANTS=1 also prints the compiler's message for each compile error.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Instrumenter } from '@stryker-mutator/instrumenter';

const root = resolve(import.meta.dirname, '..');
const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    jobs: { type: 'string', default: '1' },
    report: { type: 'boolean', default: false },
    'retest-survivors': { type: 'boolean', default: false },
  },
});
const jobs = Number(options.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a whole number of sandboxes, 1 or more; got "${options.jobs}"`);
// Every kernel file of assembly/, except index.ts, which only re-exports, and peak.ts, the
// benchmark's register-only loop, which no result depends on.
const DEFAULT_FILES = readdirSync(join(root, 'assembly'), { recursive: true })
  .filter((name) => name.endsWith('.ts') && name !== 'index.ts' && name !== 'peak.ts')
  .sort()
  .map((name) => `assembly/${name}`);
// Lines as Stryker's --mutate takes them: --report still scores the whole file.
const targets = (positionals.length ? positionals : DEFAULT_FILES).map((target) => {
  const [, file, from, to] = /^(.*?)(?::(\d+)(?:-(\d+))?)?$/.exec(target);
  return { file, from: from ? Number(from) : 1, to: to ? Number(to) : from ? Number(from) : Infinity };
});
const files = [...new Set(targets.map(({ file }) => file))];

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
const BABEL_OPTIONS = { sourceType: 'module', plugins: ['typescript'], ranges: true, createParenthesizedExpressions: true };
const parseAssemblyScript = () => async (code, fileName) => ({
  originFileName: fileName,
  rawContent: code,
  format: 'ts',
  root: babelParser.parse(code, { ...BABEL_OPTIONS, sourceFilename: fileName }),
});

/** The file's text and its mutants, each with the key the record knows it by. */
async function mutantsOf(file) {
  const content = await readFile(join(root, file), 'utf8');
  const blanked = content.replace(DECORATOR, (match) => ' '.repeat(match.length));
  const { mutants } = await new Instrumenter(logger, parseAssemblyScript).instrument(
    [{ name: join(root, file), content: blanked, mutate: true }],
    { plugins: null, ignorers: [], excludedMutations: [], noHeader: true },
  );
  const declarations = declarationsOf(content, blanked);
  const functions = (await coverageUnits()).get(file);
  const described = {
    content,
    mutants: mutants.map((mutant) => {
      const start = offsetOf(content, mutant.location.start);
      const end = offsetOf(content, mutant.location.end);
      const { start: from, end: to } = mutant.location;
      const declaration = declarations.find((d) => d.start <= start && end <= d.end);
      if (!declaration) throw new Error(`${file}: a mutant at ${from.line + 1}:${from.column + 1} outside every top-level declaration`);
      return {
        start, end,
        at: `${from.line + 1}:${from.column + 1}-${to.line + 1}:${to.column + 1}`,
        scope: `${declaration.sha256}+${start - declaration.start}+${end - start}`,
        // The innermost function around it (functions are in order of their start).
        unit: functions.findLast((f) => f.start <= start && end <= f.end)?.unit,
        mutator: mutant.mutatorName,
        original: oneLine(content.slice(start, end)),
        replacement: mutant.replacement,
      };
    }),
  };
  const keys = new Set(described.mutants.map(keyOf));
  if (keys.size !== described.mutants.length) throw new Error(`${file}: two mutants with the same place, mutator and replacement; the record could not tell them apart`);
  return described;
}

/**
 * The file's top-level declarations (statements of the module), each with its span and the
 * sha256 (first 16 hex digits) of its text and of the decorators on the lines before it.
 */
function declarationsOf(content, blanked) {
  const { program } = babelParser.parse(blanked, BABEL_OPTIONS);
  let previousEnd = 0;
  return program.body.map(({ start, end }) => {
    const decorators = content.slice(previousEnd, start).split('\n').filter((line) => /^\s*@\w/.test(line)).join('\n');
    previousEnd = end;
    const sha256 = createHash('sha256').update(decorators).update('\n').update(content.slice(start, end)).digest('hex').slice(0, 16);
    return { start, end, sha256 };
  });
}

/** Offset in `text` of a mutant's location (Stryker's: 0-based line and column). */
function offsetOf(text, { line, column }) {
  let offset = 0;
  for (let l = 0; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + column;
}

const oneLine = (code) => code.replace(/\s+/g, ' ');

// ---- Coverage units: every function of assembly/ with a body, numbered across the files ------
const KERNEL_FILES = readdirSync(join(root, 'assembly'), { recursive: true })
  .filter((name) => name.endsWith('.ts'))
  .sort()
  .map((name) => `assembly/${name}`);
const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'ClassPrivateMethod', 'ObjectMethod']);

/** The functions of a file's text (decorators blanked) with a block body: [{ start, end, bodyStart }], in order of start. */
function functionsOf(blanked) {
  const found = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node.type !== 'string') return;
    if (FUNCTION_TYPES.has(node.type) && node.body?.type === 'BlockStatement') found.push({ start: node.start, end: node.end, bodyStart: node.body.start });
    for (const [key, value] of Object.entries(node)) if (key !== 'loc' && value && typeof value === 'object') walk(value);
  };
  walk(babelParser.parse(blanked, BABEL_OPTIONS).program);
  return found.sort((a, b) => a.start - b.start);
}

let units;
/** file → its functions, each with its unit number. */
async function coverageUnits() {
  if (!units) {
    units = new Map();
    let next = 0;
    for (const file of KERNEL_FILES) {
      const content = await readFile(join(root, file), 'utf8');
      units.set(file, functionsOf(content.replace(DECORATOR, (match) => ' '.repeat(match.length))).map((f) => ({ ...f, unit: next++ })));
    }
    units.count = next;
  }
  return units;
}

/** The file's text with a store of 1 to its own coverage byte as each function's first statement. */
async function instrumented(file, functions) {
  const content = await readFile(join(root, file), 'utf8');
  const depth = file.split('/').length - 2;
  const from = depth ? '../'.repeat(depth) : './';
  let text = content;
  for (const { bodyStart, unit } of [...functions].reverse()) {
    text = `${text.slice(0, bodyStart + 1)} store<u8>(__KERNEL_COVERAGE + ${unit}, 1);${text.slice(bodyStart + 1)}`;
  }
  return `import { __KERNEL_COVERAGE } from '${from}kernel-coverage';\n${text}`;
}

// ---- The record -------------------------------------------------------------------------------
// { "assembly/x.ts": { mutants: [{ at, scope, mutator, replacement, status, test?, build? }] } }:
// `scope` is the sha256 of the mutant's top-level declaration, the mutant's offset in it and its length,
// `at` the mutated span when it was measured (1-based line:column of its start and end),
// `replacement` the mutated code on one line, `test` the test file that failed first (Killed
// only), `build` the kernel build the suite ran on when it was not the plain-SIMD one.
const recordFile = join(root, 'test', 'mutation', 'kernels-record.json');
const record = JSON.parse(await readFile(recordFile, 'utf8').catch(() => '{}'));
const keyOf = ({ scope, mutator, replacement }) => `${scope} ${mutator} ${oneLine(replacement)}`;

/** The recorded outcomes of `file`'s mutants, by key: those of declarations since edited match none. */
const recordedOutcomes = (file) => new Map((record[file]?.mutants ?? []).map((m) => [keyOf(m), m]));

// One line per mutant, in the file's order, so that a diff of the record shows what changed.
async function saveRecord() {
  const atOrder = (m) => m.at.split(/[:-]/).map(Number);
  const byPosition = (a, b) => atOrder(a).reduce((diff, n, i) => diff || n - atOrder(b)[i], 0) || keyOf(a).localeCompare(keyOf(b));
  const text = '{\n' + Object.keys(record).sort().map((file) => {
    const lines = [...record[file].mutants].sort(byPosition).map((m) => `      ${JSON.stringify(m)}`);
    return `  ${JSON.stringify(file)}: {\n    "mutants": [\n${lines.join(',\n')}\n    ]\n  }`;
  }).join(',\n') + '\n}\n';
  await writeFile(`${recordFile}.tmp`, text);
  await rename(`${recordFile}.tmp`, recordFile); // a run stopped while writing keeps the last whole record
}
// Parallel jobs save one after the other (they share the temporary file).
let saving = Promise.resolve();
const save = () => (saving = saving.then(saveRecord));

// ---- The scores -------------------------------------------------------------------------------
const STATUSES = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'Equivalent'];
const counted = ({ Killed, Timeout, Survived, NoCoverage }) => Killed + Timeout + Survived + NoCoverage;
const score = (counts) => (counted(counts) ? `${((100 * (counts.Killed + counts.Timeout)) / counted(counts)).toFixed(2)}%` : '–');

/** Per file and for all of them: the mutants there are, how many the record has, and their outcomes. */
async function printScores(scoredFiles) {
  const total = { mutants: 0, measured: 0, ...Object.fromEntries(STATUSES.map((s) => [s, 0])) };
  const survivors = [];
  console.log('file | mutants | measured | killed | timeout | survived | no coverage | compile errors | same binaries | score');
  for (const file of scoredFiles) {
    const { mutants } = await mutantsOf(file);
    const outcomes = recordedOutcomes(file);
    const counts = { mutants: mutants.length, measured: 0, ...Object.fromEntries(STATUSES.map((s) => [s, 0])) };
    for (const mutant of mutants) {
      const outcome = outcomes.get(keyOf(mutant));
      if (!outcome) continue;
      counts.measured++;
      counts[outcome.status]++;
      if (outcome.status === 'Survived' || outcome.status === 'NoCoverage') survivors.push(`${file}:${mutant.at} ${mutant.mutator}: ${mutant.original}  →  ${oneLine(mutant.replacement)}${outcome.status === 'NoCoverage' ? '  (no coverage)' : ''}`);
    }
    for (const key of Object.keys(total)) total[key] += counts[key];
    console.log(`${file} | ${[counts.mutants, counts.measured, ...STATUSES.map((s) => counts[s])].join(' | ')} | ${score(counts)}`);
  }
  console.log(`all ${scoredFiles.length} files | ${[total.mutants, total.measured, ...STATUSES.map((s) => total[s])].join(' | ')} | ${score(total)}`);
  console.log(`\nmeasured ${total.measured} of ${total.mutants} mutants; the score counts the measured ones, but for compile errors and those with the same binaries`);
  console.log(`\nsurvivors:\n${survivors.join('\n') || '(none)'}`);
}

if (options.report) {
  await printScores(files);
  process.exit(0);
}

// ---- Running things ---------------------------------------------------------------------------
// Each command runs in its own process group, so that a timeout (or this script being stopped)
// ends it with everything it started.
const running = new Set();
function run(command, args, cwd, { timeoutMs = Infinity, env = {} } = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => { timedOut = true; process.kill(-child.pid, 'SIGKILL'); }, timeoutMs)
      : undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      done({ code, timedOut, output });
    });
  });
}

// ---- A sandbox: a copy of the project, with its own build workers -----------------------------
// Not inside Stryker's own .stryker-tmp, which a Stryker run of src/ empties when it ends.
// The whole project (tests read README.md, scripts/, demo/…) but for what is not source.
const NOT_COPIED = new Set(['.git', 'node_modules', '.stryker-tmp', '.stryker-tmp-kernels', 'reports']);
// A compiler that has not answered in this time is stuck on the mutant: a compile error.
const BUILD_TIMEOUT_MS = 10 * 60_000;
// asconfig.json's targets and the files they write, by the kernel build a test run loads
// (SIMDNET_BUILD): a runtime of one thread loads the first, one of several threads the second.
const BUILDS = {
  simd: [['release', 'build/simd.wasm'], ['release-threads', 'build/simd-threads.wasm']],
  'relaxed-simd': [['relaxed', 'build/relaxed-simd.wasm'], ['relaxed-threads', 'build/relaxed-simd-threads.wasm']],
};
const sandboxes = [];

async function createSandbox(index) {
  const dir = join(root, '.stryker-tmp-kernels', `kernels-${process.pid}-${index}`);
  await mkdir(dir, { recursive: true });
  for (const entry of readdirSync(root)) {
    if (!NOT_COPIED.has(entry)) await cp(join(root, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  const sandbox = { dir, workers: new Map() };
  sandboxes.push(sandbox);
  return sandbox;
}

/** Builds one asconfig target of the sandbox's kernels: { ok, output }. A compiler crash or hang is a failed build. */
function buildTarget(sandbox, target) {
  if (!sandbox.workers.has(target)) sandbox.workers.set(target, new Worker(join(root, 'scripts', 'kernel-build-worker.mjs')));
  const worker = sandbox.workers.get(target);
  return new Promise((done) => {
    const finish = (result) => {
      clearTimeout(timer);
      worker.off('message', finish);
      worker.off('exit', crashed);
      done(result);
    };
    const crashed = (code) => {
      sandbox.workers.delete(target);
      finish({ ok: false, output: `the compiler stopped (exit code ${code})` });
    };
    const timer = setTimeout(() => {
      worker.off('exit', crashed);
      sandbox.workers.delete(target);
      void worker.terminate();
      finish({ ok: false, output: `the compiler did not finish in ${BUILD_TIMEOUT_MS / 60_000} min` });
    }, BUILD_TIMEOUT_MS);
    worker.on('message', finish);
    worker.on('exit', crashed);
    worker.postMessage({ sandbox: sandbox.dir, target });
  });
}

/**
 * Builds the files of one kernel build (both at once, each in its own worker): { ok, output,
 * same }, `same` when every file is byte for byte as in `unmutated` (file → bytes).
 */
async function build(sandbox, kernelBuild, unmutated) {
  const results = await Promise.all(BUILDS[kernelBuild].map(([target]) => buildTarget(sandbox, target)));
  const ok = results.every((result) => result.ok);
  const output = results.map((result) => result.output).join('\n');
  if (!ok || !unmutated) return { ok, output, same: false };
  const files = await Promise.all(BUILDS[kernelBuild].map(([, file]) => readFile(join(sandbox.dir, file))));
  return { ok, output, same: files.every((bytes, i) => bytes.equals(unmutated.get(BUILDS[kernelBuild][i][1]))) };
}

const node = process.execPath;
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const suite = (sandbox, order, extraArgs, timeoutMs, kernelBuild = 'simd') => run(
  node, [vitest, 'run', '--config', 'vitest.mutation-kernels.config.ts', '--bail', '1', '--maxWorkers', '1', '--reporter', 'dot', ...extraArgs],
  sandbox.dir, { timeoutMs, env: { KERNEL_MUTATION_ORDER: order.join(','), KERNEL_MUTATION_BUILD: kernelBuild } },
);
/** The test file of the first failure vitest reports (its output without the colours). */
const failedTest = (output) => /FAIL\s+(test\/\S+?\.test\.ts)/.exec(output.replace(/\x1b\[[\d;]*m/g, ''))?.[1];

async function removeSandboxes() {
  for (const { dir, workers } of sandboxes) {
    for (const worker of workers.values()) await worker.terminate();
    await rm(dir, { recursive: true, force: true });
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) process.kill(-child.pid, 'SIGKILL');
    for (const { dir } of sandboxes) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

// ---- Main -----------------------------------------------------------------------------------
const started = Date.now();
const first = await createSandbox(0);
// The unmutated kernels, all four files: a mutant's builds are compared with them, and they are
// written back after each mutant.
const unmutated = new Map();
for (const kernelBuild of Object.keys(BUILDS)) {
  const built = await build(first, kernelBuild);
  if (!built.ok) throw new Error(`the unmutated kernels do not compile:\n${built.output}`);
  for (const [, file] of BUILDS[kernelBuild]) unmutated.set(file, await readFile(join(first.dir, file)));
}
// The baseline: every file must pass, and the JSON report gives each one's time, to put the
// fastest first among those that have killed nothing yet.
const baselineStart = Date.now();
const baseline = await suite(first, [], ['--reporter', 'json', '--outputFile.json', 'baseline.json']);
if (baseline.code !== 0) throw new Error(`the suite fails without any mutant:\n${baseline.output}`);
const baselineSeconds = (Date.now() - baselineStart) / 1000;
const durations = new Map(JSON.parse(await readFile(join(first.dir, 'baseline.json'), 'utf8')).testResults
  .map(({ name, startTime, endTime }) => [name.slice(first.dir.length + 1), endTime - startTime]));
// A mutant may loop forever: give the suite three times its normal time, plus a minute.
const timeoutMs = 3 * baselineSeconds * 1000 + 60_000;
console.log(`baseline: suite passes in ${baselineSeconds.toFixed(1)} s; time limit per mutant ${(timeoutMs / 1000).toFixed(0)} s`);

// The coverage: the coverage build in the first sandbox, each test file run alone on it (as
// many at once as there are jobs), then the sources and the unmutated kernels put back.
const coverageStart = Date.now();
const testFiles = [...durations.keys()];
/** test file → the units it runs */
const coverage = new Map(testFiles.map((test) => [test, new Set()]));
{
  const { count } = await coverageUnits();
  for (const [file, functions] of await coverageUnits()) await writeFile(join(first.dir, file), await instrumented(file, functions));
  await writeFile(join(first.dir, 'assembly/kernel-coverage.ts'), `export const __KERNEL_COVERAGE: usize = memory.data(${count});\n`);
  await writeFile(join(first.dir, 'assembly/index.ts'), `${await readFile(join(root, 'assembly/index.ts'), 'utf8')}export { __KERNEL_COVERAGE } from './kernel-coverage';\n`);
  const built = await build(first, 'simd');
  if (!built.ok) throw new Error(`the coverage build does not compile:\n${built.output}`);
  const dir = join(first.dir, '.kernel-coverage');
  await mkdir(dir);
  const waiting = [...testFiles];
  const runOne = async () => {
    for (let test = waiting.shift(); test; test = waiting.shift()) {
      await run(node, [vitest, 'run', '--config', 'vitest.mutation.config.ts', '--reporter', 'dot', test], first.dir, {
        timeoutMs,
        env: {
          KERNEL_COVERAGE_DIR: dir, KERNEL_COVERAGE_TEST: test, KERNEL_COVERAGE_UNITS: String(count),
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(root, 'scripts/kernel-coverage-hook.mjs')}`,
        },
      });
    }
  };
  await Promise.all(Array.from({ length: jobs }, runOne));
  for (const name of readdirSync(dir)) {
    const { test, units: ran } = JSON.parse(await readFile(join(dir, name), 'utf8'));
    for (const unit of ran) coverage.get(test)?.add(unit);
  }
  await rm(dir, { recursive: true });
  await rm(join(first.dir, 'assembly/kernel-coverage.ts'));
  for (const file of KERNEL_FILES) await writeFile(join(first.dir, file), await readFile(join(root, file), 'utf8'));
  for (const [builtFile, bytes] of unmutated) await writeFile(join(first.dir, builtFile), bytes);
  const covered = new Set([...coverage.values()].flatMap((ran) => [...ran]));
  const lineOf = async (file, offset) => (await readFile(join(root, file), 'utf8')).slice(0, offset).split('\n').length;
  const notRun = [];
  for (const [file, functions] of await coverageUnits()) {
    for (const { start, unit } of functions) if (!covered.has(unit)) notRun.push(`${file}:${await lineOf(file, start)}`);
  }
  console.log(`coverage: ${covered.size} of ${count} kernel functions run by some test file (${((Date.now() - coverageStart) / 1000).toFixed(0)} s)${notRun.length ? `; not run: ${notRun.join(', ')}` : ''}`);
}
/** The test files that run a mutant's function (every file when it is in none, or for the relaxed-SIMD build, which the coverage did not run). */
const testsRunning = (unit, kernelBuild) => (unit === undefined || kernelBuild !== 'simd' ? testFiles : testFiles.filter((test) => coverage.get(test).has(unit)));

/** The suite's files, those that killed most of this file's mutants first, then any file's, then the fastest. */
function testOrder(file) {
  const kills = (entries) => {
    const counts = new Map();
    for (const { mutants } of entries) for (const { test } of mutants) if (test) counts.set(test, (counts.get(test) ?? 0) + 1);
    return counts;
  };
  const here = kills(record[file] ? [record[file]] : []);
  const anywhere = kills(Object.values(record));
  const count = (counts, test) => counts.get(test) ?? 0;
  return [...durations.keys()].sort((a, b) =>
    count(here, b) - count(here, a) || count(anywhere, b) - count(anywhere, a) || durations.get(a) - durations.get(b));
}

// Every mutant the record lacks, file by file in the order given. A file's recorded outcomes
// that match none of its mutants (their declarations have been edited) are dropped.
const queue = [];
for (const { file, from, to } of targets) {
  const { content, mutants } = await mutantsOf(file);
  const outcomes = recordedOutcomes(file);
  const current = mutants.map((mutant) => outcomes.get(keyOf(mutant))).filter(Boolean);
  const atOf = new Map(mutants.map((mutant) => [keyOf(mutant), mutant.at]));
  for (const outcome of current) outcome.at = atOf.get(keyOf(outcome)); // where it is now
  record[file] = { mutants: current };
  const todo = mutants.filter((mutant) => {
    const line = Number(mutant.at.split(':')[0]);
    if (line < from || line > to) return false;
    const outcome = outcomes.get(keyOf(mutant));
    return !outcome || (options['retest-survivors'] && (outcome.status === 'Survived' || outcome.status === 'NoCoverage'));
  });
  console.log(`${file}: ${mutants.length} mutants, ${current.length} recorded, ${todo.length} to measure`);
  for (const mutant of todo) queue.push({ file, content, mutant });
}
await save();

const seconds = Object.fromEntries(STATUSES.map((s) => [s, []]));
let done = 0;
const toMeasure = queue.length;
/** The mutant's status, the test file that killed it, and the build the suite ran on. */
async function test(sandbox, file, unit) {
  let built = await build(sandbox, 'simd', unmutated);
  let kernelBuild = 'simd';
  if (built.ok && built.same) {
    // Nothing the plain-SIMD suite loads has changed: what of the relaxed-SIMD files?
    built = await build(sandbox, 'relaxed-simd', unmutated);
    kernelBuild = 'relaxed-simd';
    if (built.ok && built.same) return { status: 'Equivalent' };
  }
  if (!built.ok) {
    if (process.env.DEBUG_MUTANTS) console.log(built.output);
    return { status: 'CompileError' };
  }
  const tests = testsRunning(unit, kernelBuild);
  if (tests.length === 0) return { status: 'NoCoverage' };
  const tested = await suite(sandbox, testOrder(file).filter((test) => tests.includes(test)), tests, timeoutMs, kernelBuild);
  const status = tested.timedOut ? 'Timeout' : tested.code === 0 ? 'Survived' : 'Killed';
  return { status, test: status === 'Killed' ? failedTest(tested.output) : undefined, kernelBuild };
}

async function measure(sandbox) {
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { file, content, mutant } = next;
    const mutantStart = Date.now();
    await writeFile(join(sandbox.dir, file), content.slice(0, mutant.start) + mutant.replacement + content.slice(mutant.end));
    const { status, test: killer, kernelBuild } = await test(sandbox, file, mutant.unit);
    await writeFile(join(sandbox.dir, file), content);
    for (const [builtFile, bytes] of unmutated) await writeFile(join(sandbox.dir, builtFile), bytes);
    const { at, scope, mutator, replacement } = mutant;
    record[file].mutants = record[file].mutants.filter((m) => keyOf(m) !== keyOf(mutant));
    record[file].mutants.push({
      at, scope, mutator, replacement: oneLine(replacement), status,
      ...(killer && { test: killer }), ...(kernelBuild && kernelBuild !== 'simd' && { build: kernelBuild }),
    });
    await save();
    const took = (Date.now() - mutantStart) / 1000;
    seconds[status].push(took);
    console.log(`[${++done}/${toMeasure}] ${status.padEnd(12)} ${file}:${at} ${mutator} (${took.toFixed(1)} s${killer ? `, ${killer}` : ''}${kernelBuild === 'relaxed-simd' ? ', relaxed-SIMD build' : ''})`);
  }
}
const workers = [measure(first)];
for (let j = 1; j < jobs && queue.length; j++) {
  const sandbox = await createSandbox(j);
  workers.push(measure(sandbox));
}
await Promise.all(workers);
await removeSandboxes();

console.log('');
await printScores(files);
const all = Object.values(seconds).flat();
const mean = (list) => (list.length ? list.reduce((a, b) => a + b, 0) / list.length : 0).toFixed(1);
console.log(`\n${all.length} mutants measured in ${((Date.now() - started) / 60000).toFixed(1)} min with ${jobs} job(s) (${cpus()[0].model}, node ${process.version});`
  + ` mean seconds per mutant: ${mean(all)} (${STATUSES.map((s) => `${s} ${mean(seconds[s])} ×${seconds[s].length}`).join(', ')})`);
