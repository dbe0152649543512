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
  x = clamp4(x, -87.0, 88.0);
  // n = nearest(x·log2 e), ties to even, and n as an integer, by adding 1.5·2²³: the sum of it
  // and any |v| < 2²² rounds to an integer (floats there are 1 apart), ties to even as
  // f32x4.nearest does (1.5·2²³ is even), and that integer's low bits are the sum's low bits.
  // The same n as nearest + trunc_sat, whose saturation V8 spends about 10 instructions on.
  // With clamp4's pmin/pmax, sigmoidForward over 100×100 floats measured 31.3 → 13.5 µs and
  // tanhForward 33.1 → 23.2 µs (relaxed build; the plain one alike), every output bit the same
  // for 2²⁰ inputs over [−120, 120], random bit patterns and the edge values.
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(ROUNDER));
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDER));
  // ln2 split in two so that n·ln2 is subtracted without losing r's low bits.
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1.0));
  const integer = i32x4.sub(shifted, i32x4.splat(reinterpret<i32>(ROUNDER)));
  const scale = i32x4.shl(i32x4.add(integer, i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

const ROUNDER: f32 = 12582912; // 1.5·2²³

/**
 * x clamped to [lo, hi] (lo, hi not zero), a NaN kept. pmin/pmax are one instruction each on
 * x86, where min/max's rules for NaN and signed zeros cost V8 several; with nonzero bounds they
 * give the same value as min/max for every x that is not NaN.
 */
// @ts-ignore: decorator
@inline
export function clamp4(x: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(lo)), f32x4.splat(hi));
}
