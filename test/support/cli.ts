// The CLI in-process, as the tests run it: main() with the kernel build under test, its console
// output captured (and stdout writes, where --help goes).
import { vi } from 'vitest';
import { main } from '../../src/cli.js';
import { buildUnderTest } from './runtime.js';

export type CliResult = { code: number; out: string; err: string };

/** Runs the CLI; `onLine` sees every line it logs, as it logs it. */
export async function runCliWatching(onLine: (line: string) => void, ...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...m) => {
    out.push(m.join(' '));
    onLine(m.join(' '));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...m) => void err.push(m.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    const code = await main(['--build', buildUnderTest, ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

export const runCli = (...args: string[]): Promise<CliResult> => runCliWatching(() => undefined, ...args);
