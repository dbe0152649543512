// Under Node the kernel module is read from the file next to the package's build output.
import { readFile } from 'node:fs/promises';
import { setWasmReader } from './wasm.js';

setWasmReader((url) => (url.protocol === 'file:' ? readFile(url) : fetch(url)));
