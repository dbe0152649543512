// userFailure (cli-failure.ts): which errors the CLI reports as the user's own failure, and the
// one line it prints for each: what it could not do (from the system call), where, and why (from
// the error code), or the memory that ran out.
import { describe, expect, it } from 'vitest';
import { EXIT_CANT_CREATE, EXIT_OUT_OF_MEMORY, userFailure } from '../src/cli-failure.js';
import { OutOfMemoryError, ValueError } from '../src/errors.js';

const systemError = (code: string, syscall?: string, path?: string) => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, path });

describe('userFailure', () => {
  it('every filesystem error code it knows, in words', () => {
    const reasons: [string, string][] = [
      ['ENOSPC', 'no space left on the device'],
      ['EDQUOT', 'disk quota exceeded'],
      ['EACCES', 'permission denied'],
      ['EPERM', 'operation not permitted'],
      ['EROFS', 'read-only file system'],
      ['ENOTDIR', 'a part of the path is a file, not a folder'],
      ['EEXIST', 'a file is in the way'],
      ['EISDIR', 'it is a folder'],
      ['ENOENT', 'no such file or folder'],
      ['ENAMETOOLONG', 'the name is too long'],
      ['EMFILE', 'too many open files'],
      ['ENFILE', 'too many open files'],
      ['EIO', 'input/output error'],
    ];
    for (const [code, reason] of reasons) {
      expect(userFailure(systemError(code, 'write', '/o/x')), code).toEqual({ message: `cannot write /o/x: ${reason}`, exitCode: EXIT_CANT_CREATE });
    }
  });

  it('what could not be done, from the system call', () => {
    const message = (syscall?: string) => userFailure(systemError('EACCES', syscall, '/o/x'))!.message;
    expect(message('mkdir')).toBe('cannot create the folder /o/x: permission denied');
    expect(message('rename')).toBe('cannot replace /o/x: permission denied');
    expect(message('read')).toBe('cannot read /o/x: permission denied');
    expect(message('scandir')).toBe('cannot read /o/x: permission denied');
    expect(message('open')).toBe('cannot write /o/x: permission denied');
    expect(message(undefined)).toBe('cannot write /o/x: permission denied');
  });

  it('"a file" when the error names no path', () => {
    expect(userFailure(systemError('ENOSPC', 'write'))!.message).toBe('cannot write a file: no space left on the device');
  });

  it('an unknown or non-string code, or no error at all, is not the user\'s failure', () => {
    expect(userFailure(systemError('ECONNRESET', 'read', '/o/x'))).toBeUndefined();
    expect(userFailure(Object.assign(new Error('x'), { code: 28 }))).toBeUndefined();
    expect(userFailure(undefined)).toBeUndefined();
    expect(userFailure(null)).toBeUndefined();
    expect(userFailure(new ValueError('bad option'))).toBeUndefined();
  });

  it('simdnet\'s own OutOfMemoryError keeps its message', () => {
    expect(userFailure(new OutOfMemoryError('out of WebAssembly memory: needed 5 bytes'))).toEqual({
      message: 'out of WebAssembly memory: needed 5 bytes', exitCode: EXIT_OUT_OF_MEMORY,
    });
  });

  it('each way V8 says an allocation failed, and only as a RangeError', () => {
    for (const text of ['Array buffer allocation failed', 'Invalid typed array length: 1e12', 'Invalid array length', 'WebAssembly.Memory(): Out of memory', 'could not allocate memory']) {
      expect(userFailure(new RangeError(text)), text).toEqual({
        message: `not enough memory (${text}): try a smaller --batch, --hidden/--layers or --iterations`, exitCode: EXIT_OUT_OF_MEMORY,
      });
    }
    expect(userFailure(new RangeError('ARRAY BUFFER ALLOCATION FAILED'))!.exitCode).toBe(EXIT_OUT_OF_MEMORY);
    expect(userFailure(new Error('Array buffer allocation failed'))).toBeUndefined();
    expect(userFailure(new RangeError('offset is out of bounds'))).toBeUndefined();
  });

  it('the exit codes are sysexits.h\'s EX_CANTCREAT and EX_OSERR', () => {
    expect([EXIT_CANT_CREATE, EXIT_OUT_OF_MEMORY]).toEqual([73, 71]);
  });
});
