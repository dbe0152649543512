// What the Node entry's kernel loader sets up when it is first imported, evaluated again here
// under stand-in Node versions, engines and environments, with V8's flag setter recorded: the
// relaxed-SIMD flag only on a Node before 22 whose engine does not validate relaxed SIMD, the
// revectorizer only when asked for and only on Node 22 or later. (Under the real Node versions
// it is node-engines.test.ts's.)
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';

const flags: string[] = [];
vi.mock('node:v8', () => ({ setFlagsFromString: (flag: string) => void flags.push(flag) }));

const versions = Object.getOwnPropertyDescriptor(process, 'versions')!;
const revectorize = process.env.SIMDNET_REVECTORIZE;

/** The V8 flags and warnings the entry sets when imported under Node `node`, with or without relaxed SIMD and SIMDNET_REVECTORIZE. */
async function importUnder(node: string, relaxed: boolean, env?: string) {
  flags.length = 0;
  vi.restoreAllMocks();
  Object.defineProperty(process, 'versions', { ...versions, value: { ...process.versions, node } });
  if (env === undefined) delete process.env.SIMDNET_REVECTORIZE;
  else process.env.SIMDNET_REVECTORIZE = env;
  vi.spyOn(WebAssembly, 'validate').mockReturnValue(relaxed);
  const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  vi.resetModules();
  await import('../src/wasm-node.js');
  return { flags: [...flags], warnings: warnings.mock.calls.map((call) => call[0]) };
}

afterEach(() => {
  Object.defineProperty(process, 'versions', versions);
  if (revectorize === undefined) delete process.env.SIMDNET_REVECTORIZE;
  else process.env.SIMDNET_REVECTORIZE = revectorize;
  vi.restoreAllMocks();
});

describe('the Node entry of the kernel loader', () => {
  it('turns on relaxed SIMD on Node 20 and 21 when the engine lacks it, and nowhere else', async () => {
    expect(await importUnder('20.20.2', false)).toEqual({ flags: ['--experimental-wasm-relaxed-simd'], warnings: [] });
    expect((await importUnder('21.7.0', false)).flags).toEqual(['--experimental-wasm-relaxed-simd']);
    expect((await importUnder('20.20.2', true)).flags).toEqual([]);
    expect((await importUnder('22.0.0', false)).flags).toEqual([]);
  });

  it('SIMDNET_REVECTORIZE=1 turns on the revectorizer from Node 22, and warns before', async () => {
    for (const node of ['22.0.0', '24.1.0']) expect(await importUnder(node, true, '1')).toEqual({ flags: ['--experimental-wasm-revectorize'], warnings: [] });
    expect(await importUnder('20.20.2', true, '1')).toEqual({
      flags: [], warnings: [`SIMDNET_REVECTORIZE=1 needs Node 22 or later (this is ${process.version}); ignored`],
    });
    for (const env of [undefined, '0', '']) expect(await importUnder('24.1.0', true, env)).toEqual({ flags: [], warnings: [] });
  });

  it('reads a file: URL from disk, and fetches any other', async () => {
    await importUnder(process.versions.node, true);
    // The wasm.js of this module registry: the one the entry just configured.
    const { loadKernels, setWasmUrl } = await import('../src/wasm.js');
    const fetched: string[] = [];
    const bytes = await readFile(new URL('../build/simd.wasm', import.meta.url));
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
      fetched.push(String(url));
      return new Response(bytes);
    });
    expect((await loadKernels('simd')).build).toBe('simd');
    expect(fetched).toEqual([]);
    setWasmUrl('https://cdn.example/');
    expect((await loadKernels('simd')).build).toBe('simd');
    expect(fetched).toEqual(['https://cdn.example/simd.wasm']);
  });
});
