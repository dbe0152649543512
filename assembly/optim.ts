// Parameter updates over one contiguous block: the network's parameters are laid out back to
// back and the gradients mirror that layout, so one call updates every tensor.

/** params -= lr · grads over `count` floats. */
export function sgdUpdate(params: usize, grads: usize, count: i32, lr: f32): void {
  const end = params + (<usize>count << 2);
  const vectorEnd = params + (<usize>(count & ~3) << 2);
  const rate = f32x4.splat(lr);
  let p = params, g = grads;
  for (; p < vectorEnd; p += 16, g += 16) {
    v128.store(p, f32x4.sub(v128.load(p), f32x4.mul(rate, v128.load(g))));
  }
  for (; p < end; p += 4, g += 4) store<f32>(p, load<f32>(p) - lr * load<f32>(g));
}
