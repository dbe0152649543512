// The multi-label head: sigmoid fused with binary cross-entropy, element by element over
// logits z [rows×outputs] and targets t in [0, 1] of the same shape, as PyTorch's
// nn.BCEWithLogitsLoss. The stable form max(z, 0) − z·t + log(1 + e^−|z|) never takes the log
// of a rounded sigmoid, so a logit of ±100 costs 100, not inf.

/** Σ over every element of the loss (an f64 sum). */
export function binaryCrossEntropyForward(logits: usize, targets: usize, count: i32): f64 {
  let lossSum: f64 = 0;
  for (let i = 0; i < count; i++) {
    const z = load<f32>(logits + (<usize>i << 2));
    const t = load<f32>(targets + (<usize>i << 2));
    lossSum += <f64>(max(z, 0) - z * t + Mathf.log1p(Mathf.exp(-Mathf.abs(z))));
  }
  return lossSum;
}

/** grad = (sigmoid(z) − t) / normalizer, the gradient of the mean over `normalizer` elements. */
export function binaryCrossEntropyBackward(grad: usize, logits: usize, targets: usize, count: i32, normalizer: f32): void {
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 2;
    const p: f32 = 1 / (1 + Mathf.exp(-load<f32>(logits + at)));
    store<f32>(grad + at, (p - load<f32>(targets + at)) / normalizer);
  }
}

/** Elements whose logit falls on the target's side: z > 0 exactly where t > 0.5. */
export function countCorrectBinary(logits: usize, targets: usize, count: i32): i32 {
  let correct = 0;
  for (let i = 0; i < count; i++) {
    if ((load<f32>(logits + (<usize>i << 2)) > 0) == (load<f32>(targets + (<usize>i << 2)) > 0.5)) correct++;
  }
  return correct;
}

/** probs = sigmoid(logits), element by element (prediction; may alias). */
export function sigmoidProbabilities(probs: usize, logits: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const at = <usize>i << 2;
    store<f32>(probs + at, 1 / (1 + Mathf.exp(-load<f32>(logits + at))));
  }
}
