#!/usr/bin/env node
// The `simdnet` executable. No V8 flag: the Node entry turns relaxed SIMD on where Node 20 needs
// it (wasm-node.ts), and Node 22 and later refuse to start with that flag.
import { exitQuietlyOnClosedPipe } from './cli-report.js';
import { main } from './cli.js';

exitQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
