// The asc compiler kept warm in a worker thread, for scripts/mutate-kernels.mjs: it builds one
// target of asconfig.json ("release", "release-threads", "relaxed" or "relaxed-threads") of the
// sandbox it is given, once per request. In a process that has built them once, the next build
// takes about a third of the time of a new `asc` process, which loads and compiles binaryen's
// wasm again each time; the output is byte for byte the same. A worker thread, not the script's
// own thread: asc ends its process when the compiler crashes (some mutants make it crash), and
// in a worker that ends only the worker.
import { parentPort } from 'node:worker_threads';
import asc from 'assemblyscript/asc';

parentPort.on('message', async ({ sandbox, target }) => {
  let output = '';
  const stream = { write: (text) => { output += text; } };
  const { error } = await asc.main(['assembly/index.ts', '--target', target, '--baseDir', sandbox], { stdout: stream, stderr: stream });
  parentPort.postMessage({ ok: !error, output });
});
