// Under Node the kernel module is read from the file next to the package's build output.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported, setWasmReader } from './wasm.js';

setWasmReader((url) => (url.protocol === 'file:' ? readFile(url) : fetch(url)));

// Node 20's V8 (11.3) compiles relaxed SIMD only behind a flag that Node 22 and later reject at
// startup (exit 9) because they ship the feature. Turning the flag on from here, before any
// module is compiled, gives Node 20 the relaxed-SIMD build with no command-line flag; engines
// that already validate the probe are left alone (V8 would print "unrecognized flag").
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (!relaxedSimdSupported() && nodeMajor < 22) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

// SIMDNET_REVECTORIZE=1 opts in to V8's --experimental-wasm-revectorize (Node 22 and later),
// which fuses pairs of 128-bit SIMD operations into 256-bit AVX2 ones when it compiles the
// kernels. It changes no result (each lane computes what it did; the bit-identity tests run
// under it), but V8 still calls it experimental, so it stays off unless asked for.
if (process.env.SIMDNET_REVECTORIZE === '1') {
  if (nodeMajor >= 22) setFlagsFromString('--experimental-wasm-revectorize');
  else process.emitWarning(`SIMDNET_REVECTORIZE=1 needs Node 22 or later (this is ${process.version}); ignored`);
}
