// Failures the user causes that are not simdnet's own input errors: the filesystem refusing a
// write (a full disk, a read-only or unwritable folder, a file where a folder should be) and
// sizes too large to allocate. The CLI reports them as one `simdnet: …` line with an exit code
// that says which, instead of as an internal error.
import { OutOfMemoryError } from './errors.js';

/** Exit codes (sysexits.h): a file could not be created or written; memory ran out. */
export const EXIT_CANT_CREATE = 73;
export const EXIT_OUT_OF_MEMORY = 71; // EX_OSERR: an operating-system resource ran out

const FILE_PROBLEMS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'it is a folder',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
};

// What V8 says when a typed array, an array or a wasm memory cannot be that large.
const ALLOCATION = /Array buffer allocation failed|Invalid typed array length|Invalid array length|Out of memory|could not allocate memory/i;

export interface UserFailure {
  message: string;
  exitCode: number;
}

/** The one-line report of a user-caused failure, or undefined when `error` is not one. */
export function userFailure(error: unknown): UserFailure | undefined {
  const problem = error as NodeJS.ErrnoException | undefined;
  if (typeof problem?.code === 'string' && FILE_PROBLEMS[problem.code]) {
    const where = problem.path ?? 'a file';
    return { message: `cannot ${verb(problem.syscall)} ${where}: ${FILE_PROBLEMS[problem.code]}`, exitCode: EXIT_CANT_CREATE };
  }
  if (error instanceof OutOfMemoryError) return { message: error.message, exitCode: EXIT_OUT_OF_MEMORY };
  if (error instanceof RangeError && ALLOCATION.test(error.message)) {
    return {
      message: `not enough memory (${error.message}): try a smaller --batch, --hidden/--layers or --iterations`,
      exitCode: EXIT_OUT_OF_MEMORY,
    };
  }
  return undefined;
}

function verb(syscall: string | undefined): string {
  if (syscall === 'mkdir') return 'create the folder';
  if (syscall === 'rename') return 'replace';
  if (syscall === 'read' || syscall === 'scandir') return 'read';
  return 'write';
}
