// The regression head: mean squared error over outputs y [rows×outputs] and real targets t of
// the same shape, as PyTorch's nn.MSELoss (the mean over every element).

/** Σ (y − t)² over `count` elements (an f64 sum). */
export function squaredErrorSum(outputs: usize, targets: usize, count: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < count; i++) {
    const d = <f64>load<f32>(outputs + (<usize>i << 2)) - <f64>load<f32>(targets + (<usize>i << 2));
    sum += d * d;
  }
  return sum;
}

/** grad = 2(y − t) / normalizer, the gradient of the mean over `normalizer` elements. */
export function meanSquaredErrorBackward(grad: usize, outputs: usize, targets: usize, count: i32, normalizer: f32): void {
  const scale: f32 = 2 / normalizer;
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 2;
    store<f32>(grad + at, (load<f32>(outputs + at) - load<f32>(targets + at)) * scale);
  }
}

/** The regression metrics' other sums: Σ|y − t|, Σt, Σt² into result[0..3) (f64). */
export function regressionSums(outputs: usize, targets: usize, count: i32, result: usize): void {
  let absolute: f64 = 0, targetSum: f64 = 0, targetSquares: f64 = 0;
  for (let i = 0; i < count; i++) {
    const y = <f64>load<f32>(outputs + (<usize>i << 2));
    const t = <f64>load<f32>(targets + (<usize>i << 2));
    absolute += Math.abs(y - t);
    targetSum += t;
    targetSquares += t * t;
  }
  store<f64>(result, absolute);
  store<f64>(result + 8, targetSum);
  store<f64>(result + 16, targetSquares);
}
