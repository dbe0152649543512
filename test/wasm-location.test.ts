// Where the kernel module comes from: setWasmUrl points the library at another folder or URL,
// and every way the file can fail to arrive (404, an HTML page in its place, no server) is an
// error that names the URL and the fix. A wrong MIME type is not a failure.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../src/wasm-node.js';
import { KernelLoadError, ValueError } from '../src/errors.js';
import { createRuntime } from '../src/runtime.js';
import { TwoLayerNet } from '../src/two-layer-net.js';
import { loadKernels, setWasmUrl, type KernelBuild } from '../src/wasm.js';
import { serveStatic, type StaticServer } from './support/static-server.js';

const buildDir = resolve(import.meta.dirname, '..', 'build');
const kernelBuild = (process.env.SIMDNET_BUILD ?? 'auto') as KernelBuild;
let server: StaticServer;

beforeAll(async () => {
  server = await serveStatic(buildDir, (request, response) => {
    if (request.url?.startsWith('/octets/')) {
      // A server that does not know .wasm (no application/wasm), as many static hosts.
      readFile(join(buildDir, request.url.slice('/octets/'.length))).then((bytes) =>
        response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes));
      return true;
    }
    if (request.url?.startsWith('/spa/')) {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>app</body></html>');
      return true;
    }
    return false;
  });
});
afterAll(() => server.close());
afterEach(() => setWasmUrl(undefined));

describe('setWasmUrl', () => {
  it('loads the kernels from a folder URL, whatever MIME type the server sends', async () => {
    for (const folder of [server.url, `${server.url}octets/`]) {
      setWasmUrl(folder);
      const runtime = await createRuntime(kernelBuild);
      const net = new TwoLayerNet(runtime, { inputSize: 3, hiddenSize: 2, outputSize: 2, seed: 1 });
      const probabilities = net.predict(new Float32Array([0.1, 0.2, 0.3]));
      expect(probabilities[0] + probabilities[1]).toBeCloseTo(1, 6);
      net.dispose();
    }
  });

  it('takes a function from the build to the file URL', async () => {
    const asked: string[] = [];
    setWasmUrl((build) => {
      asked.push(build);
      return pathToFileURL(join(buildDir, `${build}.wasm`));
    });
    const kernels = await loadKernels('simd');
    expect(kernels.build).toBe('simd');
    expect(asked).toEqual(['simd']);
  });

  it('names the URL and the fix when the file is missing, is an HTML page, or no server answers', async () => {
    setWasmUrl(`${server.url}missing/`);
    const missing = loadKernels('simd');
    await expect(missing).rejects.toThrow(KernelLoadError);
    await expect(loadKernels('simd')).rejects.toThrow(`cannot load the kernel module ${server.url}missing/simd.wasm: HTTP 404`);
    await expect(loadKernels('simd')).rejects.toThrow(/setWasmUrl\('folder\/'\)/);

    setWasmUrl(`${server.url}spa/`);
    await expect(loadKernels('simd')).rejects.toThrow(`${server.url}spa/simd.wasm is not a WebAssembly module: the server returned an HTML page for it`);

    setWasmUrl('http://127.0.0.1:1/');
    await expect(loadKernels('simd')).rejects.toThrow(/cannot load the kernel module http:\/\/127\.0\.0\.1:1\/simd\.wasm: .*setWasmUrl/);

    setWasmUrl(pathToFileURL(join(buildDir, 'nowhere/')));
    await expect(loadKernels('simd')).rejects.toThrow(/cannot load the kernel module file:.*nowhere\/simd\.wasm: ENOENT/);
  });

  it('rejects a relative URL where there is no page to resolve it against', async () => {
    setWasmUrl('wasm/');
    await expect(loadKernels('simd')).rejects.toThrow(ValueError);
    await expect(loadKernels('simd')).rejects.toThrow(/'wasm\/' is not a URL .*absolute/);
  });
});
