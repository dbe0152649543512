#!/usr/bin/env -S node --experimental-wasm-relaxed-simd
// The `simdnet` executable. The V8 flag lets Node 20 compile the relaxed-SIMD (FMA) build;
// engines that have it by default ignore nothing, and `auto` falls back to plain SIMD anyway.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
