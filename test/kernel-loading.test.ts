// How loadKernels picks, fetches and checks the module, with stand-in readers for the bytes and a
// stand-in engine for relaxed SIMD: each refusal word for word. setWasmUrl against a real server is
// wasm-location.test.ts's.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../src/wasm-node.js';
import { KernelLoadError, SimdnetError, ValueError } from '../src/errors.js';
import { expectRefusal, expectRejection } from './support/refusal.js';
import {
  LAYOUT_CONSTANTS, loadKernels, relaxedSimdSupported, resolveBuild, setWasmReader, setWasmUrl, WASM_FILES, type KernelBuildChoice, type KernelFile,
} from '../src/wasm.js';

const buildFolder = new URL('../build/', import.meta.url);
const FIX = "Serve the package's build/simd.wasm and build/relaxed-simd.wasm there, or tell simdnet where they are with setWasmUrl('folder/') "
  + "before creating a runtime (see the README's Troubleshooting)";
// The smallest module: the magic and version, no section.
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** Reads every file from the package's build folder, recording the URLs asked for. */
function buildReader(asked: string[] = []) {
  return (url: URL) => {
    asked.push(url.href);
    return readFile(new URL(url.pathname.split('/').at(-1)!, buildFolder));
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  setWasmUrl(undefined);
  setWasmReader((url) => readFile(url));
  delete (globalThis as { location?: unknown }).location;
});

describe('resolveBuild', () => {
  it('auto is relaxed SIMD where the engine validates it, plain SIMD where not', () => {
    expect(resolveBuild()).toBe(relaxedSimdSupported() ? 'relaxed-simd' : 'simd');
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(true);
    expect([resolveBuild('auto'), resolveBuild('relaxed-simd'), resolveBuild('simd')]).toEqual(['relaxed-simd', 'relaxed-simd', 'simd']);
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect([resolveBuild('auto'), resolveBuild('simd')]).toEqual(['simd', 'simd']);
  });

  it('refuses relaxed SIMD on an engine without it, and an unknown build', () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expectRefusal(() => resolveBuild('relaxed-simd'), SimdnetError,
      'the relaxed-simd build was requested but this engine does not support relaxed SIMD; use the simd build (or auto, which picks it)');
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(true);
    for (const build of ['avx', '', 'SIMD']) {
      expectRefusal(() => resolveBuild(build as KernelBuildChoice), ValueError, `unknown kernel build '${build}': expected auto, simd or relaxed-simd`);
    }
  });
});

describe('where the module is read from', () => {
  it('by default, the build folder next to the sources: one file per build, the threaded twins with a shared memory', async () => {
    const asked: string[] = [];
    setWasmReader((url) => {
      asked.push(url.href);
      return readFile(url);
    });
    const memory = new WebAssembly.Memory({ initial: 10, maximum: 65536, shared: true });
    const loaded = [await loadKernels('simd'), await loadKernels('relaxed-simd'), await loadKernels('simd', memory), await loadKernels('relaxed-simd', memory)];
    expect(asked).toEqual(['simd', 'relaxed-simd', 'simd-threads', 'relaxed-simd-threads'].map((file) => new URL(`${file}.wasm`, buildFolder).href));
    expect(loaded.map((k) => [k.build, k.threaded])).toEqual([['simd', false], ['relaxed-simd', false], ['simd', true], ['relaxed-simd', true]]);
    expect(loaded[2].exports.memory).toBe(memory);
  });

  it('a folder: each build\'s file name in it; a function: its URL for the file asked for', async () => {
    const asked: string[] = [];
    setWasmReader(buildReader(asked));
    setWasmUrl('https://cdn.example/simdnet/');
    await loadKernels('relaxed-simd');
    setWasmUrl(new URL('https://cdn.example/other/'));
    await loadKernels('simd', new WebAssembly.Memory({ initial: 10, maximum: 65536, shared: true }));
    const files: KernelFile[] = [];
    setWasmUrl((file) => {
      files.push(file);
      return `https://cdn.example/by-function/${WASM_FILES[file]}`;
    });
    await loadKernels('simd');
    expect(asked).toEqual(['https://cdn.example/simdnet/relaxed-simd.wasm', 'https://cdn.example/other/simd-threads.wasm', 'https://cdn.example/by-function/simd.wasm']);
    expect(files).toEqual(['simd']);
  });

  it('a relative URL resolves against the page when there is one, and is refused, with the hint, when there is not', async () => {
    const asked: string[] = [];
    setWasmReader(buildReader(asked));
    setWasmUrl('wasm/');
    await expectRejection(loadKernels('simd'), ValueError,
      "setWasmUrl: 'wasm/' is not a URL (without a page, give an absolute one: http:, https: or file:)");
    (globalThis as { location?: unknown }).location = { href: 'https://app.example/page/index.html' };
    await loadKernels('simd');
    setWasmUrl(() => 'files/simd.wasm');
    await loadKernels('simd');
    expect(asked).toEqual(['https://app.example/page/wasm/simd.wasm', 'https://app.example/page/files/simd.wasm']);
    setWasmUrl('http://[broken/');
    await expectRejection(loadKernels('simd'), ValueError, "setWasmUrl: 'http://[broken/' is not a URL");
  });
});

describe('what arrives', () => {
  const url = 'https://cdn.example/simd.wasm';
  const respond = (response: Response | Uint8Array | Error) => {
    setWasmUrl('https://cdn.example/');
    setWasmReader(async () => {
      if (response instanceof Error) throw response;
      return response;
    });
  };

  it('a reader that fails, an HTTP error, an HTML page or other bytes: a KernelLoadError naming the URL and the fix', async () => {
    respond(new Error('connection refused'));
    await expectRejection(loadKernels('simd'), KernelLoadError, `cannot load the kernel module ${url}: connection refused. ${FIX}`);
    respond(new Response('gone', { status: 410 }));
    await expectRejection(loadKernels('simd'), KernelLoadError, `cannot load the kernel module ${url}: HTTP 410. ${FIX}`);
    respond(new Response('  \n<!doctype html><p>app</p>'));
    await expectRejection(loadKernels('simd'), KernelLoadError,
      `${url} is not a WebAssembly module: the server returned an HTML page for it. ${FIX}`);
    respond(new Response('{"error": "no"}'));
    await expectRejection(loadKernels('simd'), KernelLoadError,
      `${url} is not a WebAssembly module: the server returned something else for it. ${FIX}`);
    // Three of the four magic bytes.
    respond(new Response(new Uint8Array([0x00, 0x61, 0x73, 0x00, 0x01, 0x00, 0x00, 0x00])));
    await expectRejection(loadKernels('simd'), KernelLoadError,
      `${url} is not a WebAssembly module: the server returned something else for it. ${FIX}`);
  });

  it('an HTML page is told from its first characters only: a page starts with <, after any white space', async () => {
    respond(new Response('{"page": "<html>"}'));
    await expectRejection(loadKernels('simd'), KernelLoadError,
      `${url} is not a WebAssembly module: the server returned something else for it. ${FIX}`);
    respond(new Response(`${' '.repeat(70)}<html>`));
    await expectRejection(loadKernels('simd'), KernelLoadError,
      `${url} is not a WebAssembly module: the server returned something else for it. ${FIX}`);
  });

  it('a module that lacks the layout constants, or is another build, is refused', async () => {
    respond(EMPTY_MODULE);
    await expectRejection(loadKernels('simd'), SimdnetError, `kernel module does not export ${LAYOUT_CONSTANTS[0]}: rebuild it with npm run build`);
    respond(new Response(EMPTY_MODULE));
    await expectRejection(loadKernels('simd'), SimdnetError, `kernel module does not export ${LAYOUT_CONSTANTS[0]}: rebuild it with npm run build`);
    for (const [asked, served] of [['simd', 'relaxed-simd'], ['relaxed-simd', 'simd']] as const) {
      setWasmUrl(() => new URL(`${served}.wasm`, buildFolder));
      setWasmReader((where) => readFile(where));
      await expectRejection(loadKernels(asked), SimdnetError, `${new URL(`${served}.wasm`, buildFolder).href} is not the ${asked} build`);
    }
  });
});

describe('what the module says', () => {
  it('the default build is auto', async () => {
    expect((await loadKernels()).build).toBe(resolveBuild('auto'));
  });

  it('every layout constant, and the activation codes by name', async () => {
    const kernels = await loadKernels('simd');
    const exports = kernels.exports as unknown as Record<string, WebAssembly.Global>;
    for (const name of LAYOUT_CONSTANTS) expect(kernels.layout[name], name).toBe(exports[name].value);
    const codes = Object.keys(exports).filter((name) => name.startsWith('ACTIVATION_'))
      .map((name) => [name.slice('ACTIVATION_'.length).toLowerCase().replaceAll('_', '-'), exports[name].value]);
    expect(codes.map(([name]) => name)).toContain('leaky-relu');
    expect([...kernels.activationCodes]).toEqual(codes);
  });
});
