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
