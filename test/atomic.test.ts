import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleTempFiles, writeFileAtomic, writeFileAtomicSync } from '../src/io/atomic.js';

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

describe('writeFileAtomicSync', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-sync-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the bytes, replacing a longer file, creating missing parents', async () => {
    const path = join(dir, 'a', 'checkpoint.bin');
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    writeFileAtomicSync(path, bytes);
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
    writeFileAtomicSync(path, Uint8Array.of(1, 2, 3));
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    expect(await readdir(join(dir, 'a'))).toEqual(['checkpoint.bin']);
  });

  it('on failure keeps the old target untouched and removes its temporary file', async () => {
    // A target that is a directory holding a file cannot be renamed over.
    const path = join(dir, 'model');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'old');
    expect(() => writeFileAtomicSync(path, Uint8Array.of(1))).toThrow();
    expect(await readdir(dir)).toEqual(['model']);
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('old');
  });
});

// Linux lists a process's open descriptors in /proc/self/fd: every write closes what it opens.
describe.skipIf(!existsSync('/proc/self/fd'))('file descriptors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-fd-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = () => readdirSync('/proc/self/fd').length;

  it('writeFileAtomicSync leaves none open', () => {
    const before = open();
    for (let i = 0; i < 10; i++) writeFileAtomicSync(join(dir, 'f'), Uint8Array.of(i));
    expect(open()).toBe(before);
  });

  it('writeFileAtomic leaves none open', async () => {
    await writeFileAtomic(join(dir, 'warm-up'), 'x');
    const before = open();
    for (let i = 0; i < 10; i++) await writeFileAtomic(join(dir, 'f'), String(i));
    expect(open()).toBe(before);
  });
});

describe('staleTempFiles', () => {
  // No process has this pid (Linux pids stop at 2^22).
  const deadPid = 999_999_999;

  it('takes only names of the form .<target>.<pid>.<letters and digits>.tmp', () => {
    const path = join('dir', 'model.bin');
    expect(staleTempFiles(path, [`.model.bin.${deadPid}.k3j2.tmp`])).toEqual([`.model.bin.${deadPid}.k3j2.tmp`]);
    expect(staleTempFiles(path, [
      `.model.bin.${deadPid}.k3j2tmpx`, // no .tmp ending (its last four characters are not '.tmp')
      `.model.bin.${deadPid}.k3j2.tmpx`,
      `.model.bin.x${deadPid}.k3j2.tmp`, // not a pid
      `.model.bin.${deadPid}.k3j2.old.tmp`, // a dot after the random part
      `.model.bin.${deadPid}..tmp`,
      `.other.bin.${deadPid}.k3j2.tmp`,
    ])).toEqual([]);
  });
});
