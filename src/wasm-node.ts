// Under Node the kernel module is read from the file next to the package's build output.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported, setWasmReader } from './wasm.js';

setWasmReader((url) => (url.protocol === 'file:' ? readFile(url) : fetch(url)));

// Node 20's V8 (11.3) compiles relaxed SIMD only behind a flag that Node 22 and later reject at
// startup (exit 9) because they ship the feature. Turning the flag on from here, before any
// module is compiled, gives Node 20 the relaxed-SIMD build with no command-line flag; engines
// that already validate the probe are left alone (V8 would print "unrecognized flag").
if (!relaxedSimdSupported() && Number(process.versions.node.split('.')[0]) < 22) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}
