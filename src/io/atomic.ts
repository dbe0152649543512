// Writes that are all-or-nothing: the data goes to a temporary file beside the target, is
// flushed to disk, and only then renamed over the target, so a crash leaves either the old file
// or the new one, never a torn one. A process killed mid-write leaves its temporary file: the
// next write to the same target removes it (temporary files of live processes, and this one's
// writes in progress, are left alone).
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary files of this process's writes that have not finished. */
const inProgress = new Set<string>();

function tempPath(path: string): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  inProgress.add(temp);
  return temp;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** The names in `names` that are temporary files of an earlier, dead write to `path`. */
export function staleTempFiles(path: string, names: string[]): string[] {
  const prefix = `.${basename(path)}.`;
  return names.filter((name) => {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return false;
    const owner = /^(\d+)\.[0-9a-z]+$/.exec(name.slice(prefix.length, -'.tmp'.length));
    if (!owner) return false;
    const pid = Number(owner[1]);
    // Our own pid: a killed run's pid reused by this process, unless the write is ours and live.
    return pid === process.pid ? !inProgress.has(join(dirname(path), name)) : !alive(pid);
  });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = tempPath(path);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    inProgress.delete(temp);
  }
  const stale = staleTempFiles(path, await readdir(dir).catch(() => []));
  // Another writer may be removing the same stale file: that is not an error.
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)));
  // Persist the rename itself; not every platform lets a directory be fsynced.
  const directory = await open(dir, 'r').catch(() => undefined);
  await directory?.sync().catch(() => undefined);
  await directory?.close();
}

/** The same, synchronously: for checkpoints written from inside a synchronous training loop. */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = tempPath(path);
  try {
    const fd = openSync(temp, 'wx');
    try {
      for (let written = 0; written < data.length;) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    inProgress.delete(temp);
  }
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // An unreadable folder only means nothing is cleaned.
  }
  for (const name of staleTempFiles(path, names)) {
    try {
      rmSync(join(dir, name), { force: true });
    } catch {
      // Another writer may be removing it.
    }
  }
  try {
    const directory = openSync(dir, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  } catch {
    // Not every platform lets a directory be fsynced.
  }
}
