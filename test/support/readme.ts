// The README's examples, for the tests that run them as written: the code block that follows
// an `<!-- example: NAME … -->` comment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

export function readmeExample(name: string): string {
  const match = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example '${name}'`);
  return match[1];
}

/**
 * Runs a README block as a module importing the checkout's Node entry in place of 'simdnet';
 * returns the arguments of every console.log it made.
 */
export async function runReadmeBlock(code: string): Promise<unknown[][]> {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { vi } = await import('vitest');
  const source = code.replaceAll("from 'simdnet'", `from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'node.ts'))}`);
  const file = join(await mkdtemp(join(tmpdir(), 'simdnet-readme-')), 'block.ts');
  await writeFile(file, source);
  const logged: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void logged.push(args));
  try {
    await import(file);
  } finally {
    log.mockRestore();
  }
  return logged;
}
