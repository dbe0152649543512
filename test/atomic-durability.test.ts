// The order of the file-system calls that makes a write durable: the data flushed before the
// rename, the folder flushed after it. The real calls are made; these mocks only record them
// (a file of its own, so no other test sees the mocked modules).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => [] as string[]);

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const fds = new Map<number, string>();
  return {
    ...real,
    openSync: (path: string, flags: string) => {
      const fd = real.openSync(path, flags);
      fds.set(fd, path);
      calls.push(`open ${path} ${flags}`);
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${fds.get(fd)}`);
      real.fsyncSync(fd);
    },
    closeSync: (fd: number) => {
      calls.push(`close ${fds.get(fd)}`);
      real.closeSync(fd);
    },
    renameSync: (from: string, to: string) => {
      calls.push(`rename ${from} ${to}`);
      real.renameSync(from, to);
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (path: string, flags: string) => {
      const handle = await real.open(path, flags);
      calls.push(`open ${path} ${flags}`);
      const sync = handle.sync.bind(handle);
      const close = handle.close.bind(handle);
      handle.sync = async () => {
        calls.push(`fsync ${path}`);
        return sync();
      };
      handle.close = async () => {
        calls.push(`close ${path}`);
        return close();
      };
      return handle;
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${from} ${to}`);
      return real.rename(from, to);
    },
  };
});

const { writeFileAtomic, writeFileAtomicSync } = await import('../src/io/atomic.js');

describe('a durable write', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simdnet-durable-'));
    calls.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The calls, the temporary file (.model.bin.<pid>.<random>.tmp beside the target) written TEMP. */
  const recorded = (path: string) => {
    const temp = `${dirname(path)}/.model.bin.${process.pid}.`;
    return calls.map((call) => call.split(' ').map((word) => (word.startsWith(temp) && /^[0-9a-z]+\.tmp$/.test(word.slice(temp.length)) ? 'TEMP' : word)).join(' '));
  };
  const expected = (path: string) => [
    'open TEMP wx', 'fsync TEMP', 'close TEMP', `rename TEMP ${path}`, `open ${dirname(path)} r`, `fsync ${dirname(path)}`, `close ${dirname(path)}`,
  ];

  it('writeFileAtomicSync flushes the data before the rename and the folder after it', () => {
    const path = join(dir, 'model.bin');
    writeFileAtomicSync(path, Uint8Array.of(1, 2, 3));
    expect(recorded(path)).toEqual(expected(path));
  });

  it('writeFileAtomic does the same', async () => {
    const path = join(dir, 'model.bin');
    await writeFileAtomic(path, 'abc');
    expect(recorded(path)).toEqual(expected(path));
  });
});
