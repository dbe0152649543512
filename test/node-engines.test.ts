// Every Node the package supports (20 through 26) must start the entry points with no V8 flag
// and pick the fastest kernel build its engine has. CI runs this file under Node 20, 22 and 24.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import '../src/wasm-node.js';
import { relaxedSimdSupported, resolveBuild } from '../src/wasm.js';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

describe(`Node ${process.version}`, () => {
  it('the Node entry makes relaxed SIMD available, so auto picks the FMA build', () => {
    // V8 on x86-64 and arm64 (every engine Node ships) implements relaxed SIMD.
    expect(relaxedSimdSupported()).toBe(true);
    expect(resolveBuild('auto')).toBe('relaxed-simd');
  });

  it('the simdnet executable starts as its shebang runs it, with no V8 flag', async () => {
    const bin = join(root, 'dist', 'bin.js');
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    const { stdout } = await run(process.execPath, [bin, 'train', '--help']);
    expect(stdout).toContain('Usage: simdnet train');
  });
});
