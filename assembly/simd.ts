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
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
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
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}
