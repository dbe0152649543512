import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../src/io/atomic.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes text and bytes, creating missing parent directories', async () => {
    const path = join(dir, 'a', 'b', 'file.txt');
    await writeFileAtomic(path, 'héllo\n');
    expect(await readFile(path, 'utf8')).toBe('héllo\n');
    await writeFileAtomic(join(dir, 'bytes.bin'), new Uint8Array([0, 255, 7]));
    expect(Array.from(await readFile(join(dir, 'bytes.bin')))).toEqual([0, 255, 7]);
    expect((await readdir(dir)).sort()).toEqual(['a', 'bytes.bin']);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['file.txt']);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, 'old content that is longer than the new one');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('leaves one complete version when writes race', async () => {
    const path = join(dir, 'race.txt');
    const contents = Array.from({ length: 20 }, (_, i) => `writer ${i} `.repeat(1000));
    await Promise.all(contents.map((text) => writeFileAtomic(path, text)));
    expect(contents).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['race.txt']);
  });

  it('on failure keeps the old target untouched and removes its temporary file', async () => {
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['target']);
    expect(await readdir(target)).toEqual(['keep']);
    expect(await readFile(join(target, 'keep'), 'utf8')).toBe('x');
  });

  it('fails without writing anything when the parent is a file', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    await expect(writeFileAtomic(join(dir, 'plain', 'child.txt'), 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['plain']);
    expect(await readFile(join(dir, 'plain'), 'utf8')).toBe('x');
  });
});

describe('temporary files a killed write left behind (U)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-stale-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  // No process has this pid (Linux pids stop at 2^22).
  const deadPid = 999_999_999;

  it.each([['writeFileAtomic', writeFileAtomic], ['writeFileAtomicSync', writeFileAtomicSync]] as const)(
    '%s removes those of its target from dead processes, and nothing else',
    async (_, write) => {
      const path = join(dir, 'model.safetensors');
      const stale = [`.model.safetensors.${deadPid}.k3j2.tmp`, `.model.safetensors.${process.pid}.q9.tmp`];
      const kept = [
        `.model.safetensors.${process.ppid}.a1.tmp`, // a live process's write in progress
        `.history.json.${deadPid}.k3j2.tmp`, // another target's
        '.model.safetensors.notes.tmp', // not a name this module makes
        'model.safetensors.bak',
      ];
      for (const name of [...stale, ...kept]) await writeFile(join(dir, name), 'x');
      await write(path, new TextEncoder().encode('new'));
      expect((await readdir(dir)).sort()).toEqual([...kept, 'model.safetensors'].sort());
    },
  );

  it('never removes the temporary file of a write in progress in this process', async () => {
    const path = join(dir, 'checkpoint.safetensors');
    const payload = new Uint8Array(1 << 20).fill(7);
    // Every write's cleanup runs while others are between creating and renaming their file.
    await Promise.all(Array.from({ length: 24 }, () => writeFileAtomic(path, payload)));
    expect(await readdir(dir)).toEqual(['checkpoint.safetensors']);
    expect((await readFile(path)).length).toBe(payload.length);
  });
});
