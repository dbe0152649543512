// The one place where the two builds differ. The relaxed-SIMD build (asc --enable relaxed-simd)
// fuses multiply and add into one instruction where the CPU has FMA; the plain build keeps the
// separately rounded mul + add that every wasm SIMD engine supports.

// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(f32x4.mul(a, b), acc);
}

/** 1 when this module was compiled with relaxed SIMD (FMA), 0 for the plain SIMD build. */
export function kernelBuild(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** First byte after the module's static data: where the host may start laying out tensors. */
export function heapBase(): usize {
  return __heap_base;
}

// exp(x) for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' degree-5 polynomial,
// 2^n by writing n into the exponent bits. Relative error ≈ 2 ulp over the clamped range,
// against ~20 ns for each scalar Mathf.exp — sigmoid runs this on every hidden unit every step.
// The clamp keeps 2^n a normal float: n stays in [-126, 127].
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  x = clamp4(x, constant4(EXP4, LOWEST), constant4(EXP4, HIGHEST));
  // n = nearest(x·log2 e), ties to even, and n as an integer, by adding 1.5·2²³: the sum of it
  // and any |v| < 2²² rounds to an integer (floats there are 1 apart), ties to even as
  // f32x4.nearest does (1.5·2²³ is even), and that integer's low bits are the sum's low bits.
  // The same n as nearest + trunc_sat, whose saturation V8 spends about 10 instructions on.
  // With clamp4's pmin/pmax, sigmoidForward over 100×100 floats measured 31.3 → 13.5 µs and
  // tanhForward 33.1 → 23.2 µs (relaxed build; the plain one alike), every output bit the same
  // for 2²⁰ inputs over [−120, 120], random bit patterns and the edge values.
  const rounder = constant4(EXP4, ROUNDER);
  const shifted = f32x4.add(f32x4.mul(x, constant4(EXP4, LOG2E)), rounder);
  const n = f32x4.sub(shifted, rounder);
  // ln2 split in two so that n·ln2 is subtracted without losing r's low bits.
  let r = f32x4.sub(x, f32x4.mul(n, constant4(EXP4, LN2_HIGH)));
  r = f32x4.sub(r, f32x4.mul(n, constant4(EXP4, LN2_LOW)));
  let y = constant4(EXP4, POLYNOMIAL);
  y = f32x4.add(f32x4.mul(y, r), constant4(EXP4, POLYNOMIAL + 1));
  y = f32x4.add(f32x4.mul(y, r), constant4(EXP4, POLYNOMIAL + 2));
  y = f32x4.add(f32x4.mul(y, r), constant4(EXP4, POLYNOMIAL + 3));
  y = f32x4.add(f32x4.mul(y, r), constant4(EXP4, POLYNOMIAL + 4));
  y = f32x4.add(f32x4.mul(y, r), constant4(EXP4, POLYNOMIAL + 5));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), constant4(EXP4, ONE));
  const integer = i32x4.sub(shifted, rounder); // the sum's bits less 1.5·2²³'s: n
  const scale = i32x4.shl(i32x4.add(integer, constant4(EXP4, EXPONENT_BIAS)), 23);
  return f32x4.mul(y, scale);
}

// exp4's constants: exp4 loads them from here where it uses them (constant4) instead of
// writing them as v128 constants, because V8 13 and 14 (Node 24, 26) rebuild a v128 constant
// from a 64-bit immediate at every use inside a loop, three instructions apiece, where a load
// from here is one; V8 11 and 12 (Node 20, 22) kept them in registers. `npm run bench:kernels`'
// activation lines (100×100 floats, relaxed SIMD, Xeon, with activation.ts's table alike),
// before → after: sigmoidForward 19.9 → 12.8 µs on Node 24, 20.5 → 13.4 on Node 26, 12.5 →
// 13.0 on Node 22, 12.2 → 13.7 on Node 20; tanhForward 30.5 → 21.1, 31.3 → 22.1, 21.8 → 22.9,
// 21.4 → 24.2; every bit the same. Loading them once before the loop kept Node 22's speed as
// well (a trial: 13.9 µs on Node 24 and 26) but made every caller carry the fourteen as arguments.
const EXP4 = memory.data<f32>([
  -87.0, 88.0, // the clamp
  1.44269504088896341, // log2 e
  12582912, // 1.5·2²³
  0.693359375, -2.12194440e-4, // ln 2 in two parts
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, // the polynomial
  1.0,
  reinterpret<f32>(127), // the exponent bias, as an integer
]);
const LOWEST = 0, HIGHEST = 1, LOG2E = 2, ROUNDER = 3, LN2_HIGH = 4, LN2_LOW = 5, POLYNOMIAL = 6, ONE = 12, EXPONENT_BIAS = 13;

/** The `index`th f32 of a table of constants in static data, in all four lanes (one load). */
// @ts-ignore: decorator
@inline
export function constant4(table: usize, index: i32): v128 {
  return v128.load32_splat(table + (<usize>index << 2));
}

/**
 * x clamped to [lo, hi] (lo, hi not zero, in every lane), a NaN kept. pmin/pmax are one
 * instruction each on x86, where min/max's rules for NaN and signed zeros cost V8 several; with
 * nonzero bounds they give the same value as min/max for every x that is not NaN.
 */
// @ts-ignore: decorator
@inline
export function clamp4(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}
