// The machine's ceiling for this build, from register-only loops of madd (mul+add in the plain
// build, FMA in the relaxed one) with no memory traffic. Two shapes, because each engine/CPU
// pair favours one: FMA peaks on chains a = a·m + c, while unfused mul+add peaks when, as in a
// GEMM, only the adds form chains (acc += s·b). The benchmark takes the better of the two as
// the peak and reports every kernel as a fraction of it (each shape in two codings, below).
import { madd } from './simd';

/** `iterations` (a multiple of 4) × 12 chained madds: 96 flops per iteration. Returns a checksum. */
export function simdPeakChained(iterations: i32): f32 {
  return chained(iterations, f32x4.splat(0.999999), f32x4.splat(1e-7));
}

/** simdPeakChained with operands computed at run time (see runtimeTiny). */
export function simdPeakChainedRuntime(iterations: i32): f32 {
  const tiny = runtimeTiny(iterations);
  return chained(iterations, f32x4.splat(<f32>0.999999 + tiny), f32x4.splat(<f32>1e-7 + tiny));
}

// @ts-ignore: decorator
@inline
function chained(iterations: i32, m: v128, c: v128): f32 {
  let a0 = f32x4.splat(0.1), a1 = f32x4.splat(0.2), a2 = f32x4.splat(0.3), a3 = f32x4.splat(0.4);
  let a4 = f32x4.splat(0.5), a5 = f32x4.splat(0.6), a6 = f32x4.splat(0.7), a7 = f32x4.splat(0.8);
  let a8 = f32x4.splat(0.9), a9 = f32x4.splat(1.0), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.2);
  for (let i = 0; i < iterations; i += 4) {
    // 4 rounds per trip so the loop's own overhead (counter, branch, V8's interrupt check) is noise.
    for (let round = 0; round < 4; round++) {
      a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c);
      a4 = madd(a4, m, c); a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c);
      a8 = madd(a8, m, c); a9 = madd(a9, m, c); a10 = madd(a10, m, c); a11 = madd(a11, m, c);
    }
  }
  return laneSum(f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  ));
}

/** `iterations` (a multiple of 4) × 10 accumulating madds: 80 flops per iteration. */
export function simdPeakAccumulate(iterations: i32): f32 {
  return accumulating(iterations, f32x4.splat(1e-3), f32x4.splat(2e-3), f32x4.splat(1e-9));
}

/** simdPeakAccumulate with operands computed at run time (see runtimeTiny). */
export function simdPeakAccumulateRuntime(iterations: i32): f32 {
  const tiny = runtimeTiny(iterations);
  return accumulating(iterations, f32x4.splat(<f32>1e-3 + tiny), f32x4.splat(<f32>2e-3 + tiny), f32x4.splat(<f32>1e-9 + tiny));
}

// @ts-ignore: decorator
@inline
function accumulating(iterations: i32, b0: v128, b1: v128, step: v128): f32 {
  // The multiplier moves every round so the compiler cannot hoist s·b out of the loop.
  let s = f32x4.splat(1.0);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  let a8 = f32x4.splat(0), a9 = f32x4.splat(0);
  for (let i = 0; i < iterations; i += 4) {
    for (let round = 0; round < 4; round++) {
      a0 = madd(s, b0, a0); a1 = madd(s, b1, a1); a2 = madd(s, b0, a2); a3 = madd(s, b1, a3);
      a4 = madd(s, b0, a4); a5 = madd(s, b1, a5); a6 = madd(s, b0, a6); a7 = madd(s, b1, a7);
      a8 = madd(s, b0, a8); a9 = madd(s, b1, a9);
      s = f32x4.sub(s, step);
    }
  }
  return laneSum(f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(a8, a9),
  ));
}

// Each loop twice: with constant operands, and with operands computed at run time. V8 13
// (Node 24) rematerializes a constant f32x4.splat inside the loop at every use, which makes the
// constant loops 3–5× slower there (relaxed SIMD, Xeon: 10–20 GFLOP/s against 49–53 for the
// run-time ones), while V8 11.3 (Node 20) runs the constant ones at 52–54 and the run-time ones
// at 29–34. The peak is the best of the four; the GEMMs' operands all come from memory, so they
// meet neither effect. Adding 10⁻³⁰ of 1/iterations changes no value.
// @ts-ignore: decorator
@inline
function runtimeTiny(iterations: i32): f32 {
  return (<f32>1 / <f32>(iterations | 1)) * <f32>1e-30;
}

// @ts-ignore: decorator
@inline
function laneSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
